"""Rendering ``archwise diagnose``: the run, then each diagnosis with its evidence and prescriptions.

Nothing here computes a diagnosis. :func:`diagnoses_to_text` is the plain form (wrapped at 100
columns, what the golden tests compare); :func:`render_diagnoses` is the same text for rich, with
the severities coloured; :func:`run_summary` and :func:`diagnoses_to_json` are the ``--json`` form.

Measured step times are shown only where a diagnosis's evidence holds them (``slow_step``), so the
report of a run is the same every time it is read.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

from ..train.diagnosis import Diagnosis, fmt
from ..train.record import TrainingRecord, json_safe

if TYPE_CHECKING:
    from ..train.verify import VerifyResult

__all__ = ["render_diagnoses", "diagnoses_to_text", "diagnoses_to_json", "run_summary", "format_evidence"]

SCHEMA = "archwise.diagnose/1"
_WIDTH = 100
_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _wrap(text: str, first: str, rest: str) -> str:
    return textwrap.fill(text, _WIDTH, initial_indent=first, subsequent_indent=rest, break_long_words=False,
                         break_on_hyphens=False)


def _detectors() -> int:
    from ..train.detectors import DETECTORS

    return len(DETECTORS)


# ---- the run ------------------------------------------------------------------------------------

def run_summary(record: TrainingRecord) -> dict[str, Any]:
    """What the record is: where it came from, the model, and how much of the run it holds."""
    meta = record.meta
    optimizer = meta.get("optimizer") or {}
    return {
        "source": record.source,
        "format": meta.get("source_format", "archwise.monitor"),
        "model": meta.get("model"),
        "params": meta.get("params"),
        "trainable_params": meta.get("trainable_params"),
        "layers": len(record.layers),
        "activations": len(record.activations),
        "optimizer": optimizer.get("type"),
        "lr": optimizer.get("lr"),
        "steps": len(record.steps),
        "losses": sum(1 for s in record.steps if s.loss is not None),
        "sampled_steps": len(record.sampled()),
        "every": record.every,
        "epochs": len(record.epochs),
        "n_train": meta.get("n_train"),
        "columns": meta.get("columns"),
        "detectors": _detectors(),
    }


def _header(record: TrainingRecord) -> str:
    """``archwise diagnose: SOURCE · model · optimizer · steps · epochs``, broken between parts at 100 columns."""
    s = run_summary(record)
    parts = [f"archwise diagnose: {s['source'] or 'a run'}"]
    if s["format"] == "lightning_csv":
        parts.append("Lightning CSVLogger metrics")
    if s["model"]:
        model = s["model"]
        if s["params"] is not None:
            model += f", {s['params']:,} parameters"
            if s["trainable_params"] is not None and s["trainable_params"] != s["params"]:
                model += f" ({s['trainable_params']:,} trainable)"
        parts.append(model)
    if s["optimizer"]:
        parts.append(s["optimizer"] + (f" lr {fmt(s['lr'])}" if s["lr"] is not None else ""))
    steps = f"{s['steps']:,} step{'s' if s['steps'] != 1 else ''}"
    if s["layers"]:
        steps += f" ({s['sampled_steps']:,} sampled, every {s['every']})"
    parts.append(steps)
    parts.append(f"{s['epochs']:,} epoch{'s' if s['epochs'] != 1 else ''}")
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 3 + len(part) <= _WIDTH:
            lines[-1] += " · " + part
        else:
            lines.append("  " + part)
    return "\n".join(lines)


_COLUMN_ROLES = {"step_loss": "the loss per step", "train_loss": "the epoch's train loss",
                 "val_loss": "the epoch's val loss", "train_metric": "the train metric",
                 "val_metric": "the val metric", "lr": "the learning rate"}


def _notes(record: TrainingRecord) -> list[str]:
    notes = []
    columns = record.meta.get("columns")
    if columns:
        read = ", ".join(f"{col} as {_COLUMN_ROLES.get(key, key)}" for key, col in columns.items())
        notes.append(f"read {read}")
    if not record.layers:
        notes.append("no per-layer statistics in this record: the gradient, dead-unit and saturation detectors had "
                     "nothing to read (archwise.Monitor records them)")
    lightning = record.meta.get("source_format") == "lightning_csv"
    how = ('self.log("val_loss", ...) in validation_step' if lightning
           else "mon.log_epoch(train_loss=..., val_loss=...)")
    if record.epochs and not any(e.val_loss is not None or e.val_metric is not None for e in record.epochs):
        notes.append(f"no validation values in the epochs: overfitting cannot be judged; log them with {how}")
    if not record.epochs:
        notes.append(f"no epochs logged: the overfitting and underfitting detectors need {how}")
    return notes


# ---- evidence -----------------------------------------------------------------------------------

def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if key.endswith("_s") and math.isfinite(value):
            return f"{fmt(1e3 * value)} ms"
        if key.endswith(("share", "fraction")) and math.isfinite(value):
            return f"{100 * value:.0f}%"
        return fmt(value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {_percent(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
        if len(items) > 8:
            return f"{', '.join(items[:3])}, …, {', '.join(items[-2:])} ({len(items)})"
        return ", ".join(items)
    return str(value)


def _percent(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and 0 <= value <= 1:
        return f"{100 * value:.0f}%"
    return _value("", value)


def format_evidence(evidence: dict[str, Any]) -> str:
    """``key=value`` pairs separated by ``;``, numbers to 3 significant digits, missing values left out.

    Example:
        >>> format_evidence({"best_epoch": 4, "best_val_loss": 1.61227, "factor": None, "layers": ["0", "2"]})
        'best_epoch=4; best_val_loss=1.61; layers=0, 2'
    """
    return "; ".join(f"{k}={_value(k, v)}" for k, v in evidence.items() if v is not None)


# ---- text ---------------------------------------------------------------------------------------

def _counts(diagnoses: Sequence[Diagnosis]) -> str:
    c = {s: sum(d.severity.value == s for d in diagnoses) for s in ("error", "warning", "info")}
    n = len(diagnoses)
    return (f"{n} problem{'s' if n != 1 else ''} ({c['error']} error{'s' if c['error'] != 1 else ''}, "
            f"{c['warning']} warning{'s' if c['warning'] != 1 else ''}, {c['info']} info)")


def _lines(record: TrainingRecord, diagnoses: Sequence[Diagnosis]) -> list[tuple[str, str | None]]:
    """The report as (line, style) pairs; the style colours a diagnosis's title line on a terminal."""
    out: list[tuple[str, str | None]] = [(_header(record), None)]
    notes = _notes(record)
    out += [(_wrap(n, "  note: ", "    "), "dim") for n in notes]
    out.append(("", None))
    for d in diagnoses:
        out.append((f"{d.severity.value:<7} {d.problem}", _STYLE.get(d.severity.value)))
        out.append((_wrap(d.summary, "  ", "    "), None))
        evidence = format_evidence(d.evidence)
        if evidence:
            out.append((_wrap(evidence, "  evidence: ", "    "), "dim"))
        for i, p in enumerate(d.prescriptions, 1):
            out.append((_wrap(p.text, f"  {'do:' if i == 1 else '   '} {i}. ", "        "), None))
        out.append(("", None))
    detectors = _detectors()
    if diagnoses:
        out.append((f"Found {_counts(diagnoses)} from {detectors} detectors.", None))
    else:
        out.append((f"No problems found by the {detectors} detectors.", None))
    return out


def diagnoses_to_text(record: TrainingRecord, diagnoses: Sequence[Diagnosis]) -> str:
    """The terminal report as plain text, wrapped at 100 columns."""
    return "\n".join(line for line, _ in _lines(record, diagnoses)) + "\n"


def render_diagnoses(record: TrainingRecord, diagnoses: Sequence[Diagnosis]) -> Text:
    """The same report as a rich :class:`~rich.text.Text`, each diagnosis's title in its severity's colour."""
    text = Text()
    for line, style in _lines(record, diagnoses):
        text.append(line + "\n", style=style)
    text.rstrip()
    return text


# ---- JSON ---------------------------------------------------------------------------------------

def diagnoses_to_json(record: TrainingRecord, diagnoses: Sequence[Diagnosis],
                      thresholds: dict[str, float] | None = None, verify: VerifyResult | None = None) -> str:
    """``{"schema", "run", "diagnoses", "thresholds"}``; each diagnosis as :meth:`Diagnosis.to_dict` gives it;
    with ``verify`` (``--verify``) also ``"verify"``, as :meth:`VerifyResult.to_dict` gives it."""
    data = {"schema": SCHEMA, "run": run_summary(record), "diagnoses": [d.to_dict() for d in diagnoses],
            "thresholds": dict(thresholds or {})}
    if verify is not None:
        data["verify"] = verify.to_dict()
    return json.dumps(json_safe(data), indent=2, allow_nan=False) + "\n"
