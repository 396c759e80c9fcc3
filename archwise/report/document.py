"""``archwise report``: results in, one self-contained HTML file (or Markdown) out.

Inputs are what the other verbs write: ``profile --json``, ``check --format json``,
``design --json`` (schemas ``archwise.profile/1``, ``archwise.check/1``, ``archwise.design/1``),
a monitored run (``run.jsonl`` from :meth:`Monitor.save`, or a Lightning ``metrics.csv``), and a
ladder (its ``--out`` folder or the ``ladder.json`` in it). From Python, the result objects
themselves (``ModelProfile``, ``CheckReport``, ``Recommendation``, ``TrainingRecord``,
``LadderResult``) work too.

The HTML has its figures embedded as PNG data and its style inline: it opens with no network and
runs no script. Every string from a result goes through jinja2's autoescape.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import ArchwiseError
from .blocks import Document, Figure, Section, md

__all__ = ["build_report", "render_html", "render_markdown", "write_report", "load_input", "ReportInput", "KINDS"]

KINDS = ("design", "ladder", "profile", "check", "monitor")  # the order sections appear in
_SCHEMAS = {"archwise.profile/1": "profile", "archwise.check/1": "check", "archwise.design/1": "design",
            "archwise.ladder/1": "ladder"}
_ACCEPTS = ("profile --json, check --format json or design --json output, a run.jsonl or Lightning metrics.csv, or "
            "a ladder --out folder (or its ladder.json)")


@dataclass
class ReportInput:
    kind: str
    data: Any  # the JSON dict, or (record, diagnoses) for a run
    source: str | None


def load_input(item: Any) -> ReportInput:
    """One result, from a path or an object, as a :class:`ReportInput`; one-line errors otherwise."""
    from ..train.record import TrainingRecord

    if isinstance(item, ReportInput):
        return item
    if isinstance(item, TrainingRecord):
        return _run(item, item.source)
    if isinstance(item, dict):
        return _from_dict(item, None)
    if hasattr(item, "to_dict") and not isinstance(item, (str, Path)):
        return _from_dict(item.to_dict(), None)
    if isinstance(item, (str, Path)):
        return _from_path(Path(item))
    raise ArchwiseError(f"cannot report on a {type(item).__name__}; expected a path or a result object "
                        "(ModelProfile, CheckReport, Recommendation, TrainingRecord, LadderResult)")


def _run(record, source: str | None) -> ReportInput:  # noqa: ANN001
    from ..train import DiagnoseConfig, diagnose

    return ReportInput("monitor", (record, diagnose(record, DiagnoseConfig.from_pyproject())), source)


def _from_dict(data: dict[str, Any], source: str | None) -> ReportInput:
    schema = data.get("schema")
    where = source or "the object"
    if schema in _SCHEMAS:
        return ReportInput(_SCHEMAS[schema], data, source)
    if schema == "archwise.diagnose/1":
        run = (data.get("run") or {}).get("source")
        raise ArchwiseError(f"{where} is archwise diagnose --json output, which holds the diagnoses but not the run; "
                            f"pass the run file itself{f' ({run})' if run else ''} so the report can draw it")
    if "rung" in data and "arch" in data:
        raise ArchwiseError(f"{where} describes the ladder's recommended model; pass the ladder's --out folder (or its "
                            "ladder.json) for the ladder, or profile the model first (archwise profile "
                            f"{source or 'model.json'} --json)")
    found = f"schema {schema!r}" if schema else f"an object with keys {', '.join(list(data)[:5])}"
    raise ArchwiseError(f"{where} is {found}; expected {_ACCEPTS}")


def _from_path(path: Path) -> ReportInput:
    from ..train.record import load_record

    if not path.exists():
        raise ArchwiseError(f"no file or folder at {path}; expected {_ACCEPTS}")
    if path.is_dir():
        if (path / "ladder.json").is_file():
            return _from_path(path / "ladder.json")
        raise ArchwiseError(f"{path} is a folder without a ladder.json; expected a ladder --out folder, or name a file: "
                            f"{_ACCEPTS}")
    if path.suffix.lower() in (".jsonl", ".csv"):
        return _run(load_record(path), str(path))
    text = path.read_text(errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        first = text.lstrip()[:1]
        hint = " (it looks like JSON lines: name it .jsonl)" if first == "{" and "\n{" in text.strip() else ""
        raise ArchwiseError(f"{path} is not JSON ({err.msg} at line {err.lineno}){hint}; expected {_ACCEPTS}") from None
    if not isinstance(data, dict):
        raise ArchwiseError(f"{path} holds a JSON {type(data).__name__}; expected an object: {_ACCEPTS}")
    return _from_dict(data, str(path))


def build_report(items: Iterable[Any], title: str | None = None) -> Document:
    """The sections for ``items`` (paths or result objects), in the order design, ladder, profile,
    check, monitor (each kind keeps the order it was given in)."""
    from .. import __version__
    from . import sections as S

    inputs = [load_input(i) for i in items]
    if not inputs:
        raise ArchwiseError(f"nothing to report; expected one or more of: {_ACCEPTS}")
    inputs.sort(key=lambda x: KINDS.index(x.kind))
    built: list[Section] = []
    for x in inputs:
        if x.kind == "monitor":
            record, diagnoses = x.data
            built.append(S.monitor_section(record, diagnoses, x.source))
        else:
            builder = {"profile": S.profile_section, "check": S.check_section, "design": S.design_section,
                       "ladder": S.ladder_section}[x.kind]
            built.append(builder(x.data, x.source))
    if title is None:
        title = (f"archwise {built[0].kind}: {built[0].title}" if len(built) == 1
                 else "archwise report: " + ", ".join(dict.fromkeys(s.kind for s in built)))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    doc = Document(title, built, f"archwise {__version__} · {stamp}")
    doc.assign_anchors()
    return doc


def _env(kind: str):  # noqa: ANN202
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("archwise.report", "templates"),
                             autoescape=kind == "html", trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["md"] = md
    env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    env.tests["kind"] = lambda block, name: type(block).__name__ == name
    return env


def render_html(doc: Document) -> str:
    """One HTML file: inline style, figures as PNG data URIs, no scripts, no network."""
    return _env("html").get_template("report.html.j2").render(doc=doc)


def render_markdown(doc: Document, figures_dir: Path | None = None, link_base: str = "") -> str:
    """Markdown (GitHub-flavoured) with the same content. With ``figures_dir``, figures are written
    there as PNG files and linked (``link_base`` + file name); without, each figure is named and
    left out (Markdown cannot embed images that GitHub shows)."""
    names: dict[int, str] = {}
    if figures_dir is not None:
        figures_dir.mkdir(parents=True, exist_ok=True)
        used: dict[str, int] = {}
        for s in doc.sections:
            for block in s.blocks:
                if isinstance(block, Figure):
                    stem = f"{s.anchor}-{block.name}"
                    used[stem] = used.get(stem, 0) + 1
                    name = f"{stem}.png" if used[stem] == 1 else f"{stem}-{used[stem]}.png"
                    (figures_dir / name).write_bytes(block.png)
                    names[id(block)] = link_base + name
    return _env("markdown").get_template("report.md.j2").render(doc=doc, figure_link=lambda b: names.get(id(b)))


def write_report(items: Sequence[Any] | Any, path: str | Path, format: str | None = None,  # noqa: A002
                 title: str | None = None) -> Path:
    """Write a report on ``items`` (or a built :class:`Document`) to ``path``: HTML unless ``format="markdown"`` or the path ends
    in ``.md`` (then figures go to ``<stem>_files/`` beside it). Returns the path written.

    Example:
        >>> import torch, archwise, tempfile, pathlib
        >>> p = archwise.profile(torch.nn.Linear(8, 4), [(2, 8)])
        >>> out = write_report([p], pathlib.Path(tempfile.mkdtemp()) / "r.html")
        >>> "<h2" in out.read_text() and "Linear" in out.read_text()
        True
    """
    path = Path(path)
    if not isinstance(items, (list, tuple)):
        items = [items]
    fmt = format or ("markdown" if path.suffix.lower() in (".md", ".markdown") else "html")
    if fmt not in ("html", "markdown"):
        raise ArchwiseError(f"report format {fmt!r} is not known; expected html or markdown")
    if path.exists() and path.is_dir():
        raise ArchwiseError(f"--out {path} is a folder; expected a file path such as {path / ('report.' + ('md' if fmt == 'markdown' else 'html'))}")
    doc = items[0] if len(items) == 1 and isinstance(items[0], Document) else build_report(items, title)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        text = render_html(doc)
    else:
        folder = path.with_name(path.stem + "_files")
        text = render_markdown(doc, folder, link_base=folder.name + "/")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
