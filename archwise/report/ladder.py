"""Rendering ``archwise ladder``: the data and how it was split, one row per rung, the verdicts, the
recommendation. Nothing here computes a figure; :func:`ladder_to_text` is the plain form the
golden tests compare, :func:`render_ladder` the same for rich.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from ..ladder import LadderResult

__all__ = ["render_ladder", "ladder_to_text", "fmt_score", "fmt_seconds"]

_WIDTH = 110


def fmt_score(metric: str, mean: float, std: float) -> str:
    if metric == "accuracy":
        return f"{100 * mean:.2f} ± {100 * std:.2f} %"
    return f"{mean:.4g} ± {std:.2g}"


def fmt_seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 600 else f"{s / 60:.1f} min"


def _lrs(values: tuple[float, ...]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def _head(result: LadderResult) -> list[tuple[str, str]]:
    st = result.settings
    sizes = result.sizes
    rule = (f"keep a rung only when it cuts the best simpler rung's test error by more than "
            f"{100 * result.threshold:.3g} % and the gain exceeds twice the noise of the paired difference (its "
            "spread across seeds or its standard error over the test rows, the larger)")
    training = (f"Adam, learning rate searched over {_lrs(st.lrs)} (LightGBM {_lrs(st.lgb_lrs)}) on validation "
                f"error, seed 0; early stopping on validation loss (patience {st.patience}, graphs "
                f"{st.graph_patience}); {len(result.seeds)} seed{'s' if len(result.seeds) != 1 else ''}; watched "
                "by archwise.Monitor")
    return [
        ("data", result.inferred),
        ("split", f"{sizes['train']:,} train · {sizes['val']:,} validation · {sizes['test']:,} test "
                  f"({result.split_order}; split hash {result.split_hash})"),
        ("training", training),
        ("rule", rule),
        ("budget", f"{result.budget:g} s at worst: rungs run in order while every job's most epochs fit; "
                   "it never cuts a job short"),
    ]


def _rows(result: LadderResult) -> list[list[str]]:
    rows = []
    n = len(result.seeds)
    for i, r in enumerate(result.rungs, 1):
        train = fmt_score(result.metric, *r.stats("train_score"))
        test = fmt_score(result.metric, *r.stats("test_score"))
        serious = [d for d in r.diagnoses if d["severity"] != "info"]
        infos = len(r.diagnoses) - len(serious)
        found = ", ".join(f"{d['problem']} ({d['seeds']}/{n})" for d in serious) or "—"
        if infos:
            found += f" + {infos} info"
        if r.rung.kind == "lightgbm":
            found = "— (not a torch model)"
        verdict = "kept" if r.verdict and r.verdict.kept else "rejected"
        if r.rung.name == result.recommended:
            verdict = "kept, recommended"
        rows.append([str(i), r.rung.name, f"{r.params:,}", f"{r.lr:g}", train, test, fmt_seconds(r.seconds), found,
                     verdict])
    return rows


_COLUMNS = ("#", "rung", "params", "lr", "train {m}", "test {m}", "time", "Monitor found", "verdict")


def _tail(result: LadderResult) -> list[str]:
    best = result.rung(result.recommended)
    jobs = len(result.trained) + len(result.reused)
    compute = sum(r.seconds for r in result.rungs)
    read = f", {len(result.reused)} read back from the interrupted run" if result.reused else ""
    lines = [f"recommended: {best.rung.name}, {best.rung.label}: the simplest rung no more complex rung beat",
             f"time: {fmt_seconds(compute)} of training in {jobs} jobs ({len(result.trained)} trained{read}) on "
             f"{result.workers} worker{'s' if result.workers != 1 else ''} ({result.executor}); "
             f"{fmt_seconds(result.seconds)} wall"]
    return lines


def ladder_to_text(result: LadderResult) -> str:
    """The report as plain text, wrapped at 110 columns."""
    metric = "acc" if result.metric == "accuracy" else "MSE"
    out = [f"archwise ladder: {result.description}", ""]
    for key, value in _head(result):
        out.append(textwrap.fill(value, _WIDTH, initial_indent=f"  {key:<9} ", subsequent_indent=" " * 12,
                                 break_long_words=False, break_on_hyphens=False))
    out.append("")
    header = [c.format(m=metric) for c in _COLUMNS]
    rows = _rows(result)
    widths = [max(len(header[k]), *(len(r[k]) for r in rows)) for k in range(len(header))]
    right = {0, 2, 3, 4, 5, 6}

    def line(cells: list[str]) -> str:
        return ("  " + "  ".join(c.rjust(w) if k in right else c.ljust(w)
                                 for k, (c, w) in enumerate(zip(cells, widths)))).rstrip()

    out.append(line(header))
    out.append("  " + "  ".join("─" * w for w in widths))
    out += [line(r) for r in rows]
    out += ["", "  verdicts"]
    for i, r in enumerate(result.rungs, 1):
        reason = r.verdict.reason if r.verdict else ""
        out.append(textwrap.fill(reason, _WIDTH, initial_indent=f"  {i}. {r.rung.name}: ", subsequent_indent="     ",
                                 break_long_words=False, break_on_hyphens=False))
    out.append("")
    for text in _tail(result):
        out.append(textwrap.fill(text, _WIDTH, initial_indent="  ", subsequent_indent="    ", break_long_words=False,
                                 break_on_hyphens=False))
    for note in result.notes:
        out.append(textwrap.fill(note, _WIDTH, initial_indent="  note: ", subsequent_indent="        ",
                                 break_long_words=False, break_on_hyphens=False))
    return "\n".join(out) + "\n"


def render_ladder(result: LadderResult) -> Group:
    """The same content for a rich console: a table with kept rungs in green, the recommendation bold."""
    metric = "acc" if result.metric == "accuracy" else "MSE"
    parts: list = [Text(f"archwise ladder: {result.description}", style="bold")]
    for key, value in _head(result):
        parts.append(Text.assemble((f"  {key:<9} ", "dim"), value))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for k, c in enumerate(_COLUMNS):
        table.add_column(c.format(m=metric), justify="right" if k in (0, 2, 3, 4, 5, 6) else "left",
                         no_wrap=k != 7, overflow="fold")  # numbers stay on one line; the findings may wrap
    for r, row in zip(result.rungs, _rows(result)):
        kept = r.verdict is not None and r.verdict.kept
        style = "bold green" if r.rung.name == result.recommended else ("green" if kept else "dim")
        table.add_row(*row[:-1], Text(row[-1], style=style))
    parts.append(table)
    parts.append(Text("verdicts", style="bold"))
    for i, r in enumerate(result.rungs, 1):
        reason = r.verdict.reason if r.verdict else ""
        parts.append(Text.assemble(f"  {i}. ", (r.rung.name, "bold"), f": {reason}"))
    parts.append(Text(""))
    tail = _tail(result)
    parts.append(Text(tail[0], style="bold green"))
    parts += [Text(t) for t in tail[1:]]
    parts += [Text(f"note: {n}", style="yellow") for n in result.notes]
    return Group(*parts)


def _console_text(result: LadderResult) -> str:  # pragma: no cover - a debugging aid
    console = Console(width=_WIDTH, record=True, color_system=None)
    console.print(render_ladder(result))
    return console.export_text()
