"""Rendering :func:`archwise.verify_fixes`: one row per trial, the verdict, and what was not tried.

Nothing here computes a figure; :func:`render_verify` reads a :class:`~archwise.train.VerifyResult`
(rich, what ``archwise diagnose --verify`` prints) and :func:`verify_to_text` is the same as plain text.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.constrain import Constrain
from rich.table import Table
from rich.text import Text

from ..train.diagnosis import fmt

if TYPE_CHECKING:
    from ..train.verify import FixTrial, VerifyResult

__all__ = ["render_verify", "verify_to_text"]

_WIDTH = 100
_RAN = ("ok", "non_finite", "failed", "over_budget")


def _head(r: VerifyResult) -> str:
    return (f"verify: {r.steps:,} steps per trial from seed {r.seed}, each fix against the unchanged run; measured: "
            f"the training loss on {r.samples:,} fixed samples after the last step ({r.seconds:.1f} s of a "
            f"{r.budget:g} s budget)")


def _row(t: FixTrial, rank: str, name: str | None = None) -> list[str]:
    if t.status.value == "ok":
        loss = fmt(t.loss)
        ratio = "1×" if t.action == "baseline" else f"{t.ratio:.3g}×" if t.ratio is not None else "—"
    else:
        loss, ratio = t.status.value.replace("_", "-"), "last" if t.status.value in ("non_finite", "failed") else "—"
    setting = t.setting + (f" ({t.note})" if t.note else "")
    return [rank, name or t.action, setting, loss, ratio, _seconds(t.seconds), ", ".join(t.prescribed_by)]


def _seconds(s: float) -> str:
    return f"{s:.2f} s" if s < 10 else f"{s:.0f} s"


def _rows(r: VerifyResult) -> list[tuple[list[str], str | None]]:
    """From ``seed``: the unchanged run, then the fixes tried; then the runs from ``seed + 1``."""
    best = r.best
    rows = [(_row(r.baseline, "", "unchanged"), "bold")]
    for k, t in enumerate((t for t in r.fixes if t.status.value in _RAN), 1):
        style = "bold green" if best is not None and t is best else ("red" if t.status.value != "ok" else None)
        rows.append((_row(t, str(k) if t.status.value == "ok" else "–"), style))
    for t in r.second:
        row = _row(t, "", f"{'unchanged' if t.action == 'baseline' else t.action}, seed {t.seed}")
        if t.action == "baseline":
            row[2] = f"the same, against seed {r.seed}: the noise" + (f" ({t.note})" if t.note else "")
            row[4] = f"{t.loss / r.baseline.loss:.3g}×" if t.loss is not None and r.baseline.loss else "—"
        else:
            row[2] = f"the same, against the unchanged run from seed {t.seed}" + (f" ({t.note})" if t.note else "")
        rows.append((row, "dim"))
    return rows


def _notes(r: VerifyResult) -> list[str]:
    notes = [f"verdict: {r.verdict}"]
    by = {"skipped": "not run (budget)", "not_applicable": "not applicable"}
    for status, title in by.items():
        items = [f"{t.action} ({t.note})" for t in r.fixes if t.status.value == status]
        if items:
            notes.append(f"{title}: {'; '.join(items)}")
    if r.unverifiable:
        problems: dict[str, list[str]] = {}
        for action, problem in r.unverifiable:
            problems.setdefault(action, []).append(problem)
        items = [f"{action} ({', '.join(p)})" for action, p in problems.items()]
        notes.append(f"not verifiable by a setting: {'; '.join(items)}")
    return notes


_COLUMNS = ("#", "fix", "setting", "loss", "vs unchanged", "time", "prescribed by")
_WIDEST = 120  # the table's width at most (the text wraps at 100, as the diagnose report)
_WIDE = 120    # from this width the table shows "prescribed by" (the JSON always has it)
_MEDIUM = 100  # from this width, the time


class _Verify:
    """The heading, the trials table and the notes, laid out for the width they are given."""

    def __init__(self, result: VerifyResult) -> None:
        self.result = result

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = min(options.max_width, _WIDEST)
        shown = [k for k in range(len(_COLUMNS)) if (k != 6 or width >= _WIDE) and (k != 5 or width >= _MEDIUM)]
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for k in shown:  # numbers stay on one line; the setting and the problems wrap
            table.add_column(_COLUMNS[k], justify="right" if k in (0, 3, 4, 5) else "left", no_wrap=k not in (2, 6),
                             min_width={2: 16, 5: 7}.get(k))
        for row, style in _rows(self.result):
            table.add_row(*(row[k] for k in shown), style=style)
        text = min(width, _WIDTH)
        yield Text(textwrap.fill(_head(self.result), text, subsequent_indent="  "))
        yield Constrain(table, width)
        for note in _notes(self.result):
            yield Text(textwrap.fill(note, text, subsequent_indent="  ", break_long_words=False))


def render_verify(result: VerifyResult) -> _Verify:
    """The trials as a rich table (the winner in green, non-finite and failed trials in red) between a
    heading and the notes; narrower than 120 columns it leaves out "prescribed by", below 100 the time."""
    return _Verify(result)


def verify_to_text(result: VerifyResult, width: int = 140) -> str:
    """:func:`render_verify` as plain text, ``width`` columns wide.

    Example:
        >>> from archwise.train.verify import FixTrial, TrialStatus, VerifyResult
        >>> base = FixTrial("baseline", "Adam lr 1e-06", TrialStatus.OK, loss=2.31, seconds=0.4)
        >>> fix = FixTrial("raise_learning_rate", "lr 1e-06 → 1e-05", TrialStatus.OK, loss=1.2, ratio=1.2 / 2.31,
        ...                seconds=0.4, prescribed_by=("loss_not_decreasing",))
        >>> text = verify_to_text(VerifyResult((base, fix), (), 500, 0, 60.0, 0.8, 1347, 0.02))
        >>> "raise_learning_rate wins" in text
        True
    """
    out = io.StringIO()
    Console(width=width, file=out, color_system=None, highlight=False).print(render_verify(result))
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"
