"""Render results for the terminal with rich. Rendering only: nothing here computes a figure."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..profile import CONVENTION, ModelProfile
from .memory import fmt_bytes

__all__ = ["render_profile", "print_profile", "make_console", "human", "count"]

_PREFIXES = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def human(value: float, unit: str = "") -> str:
    """``4_089_184_256, "MACs"`` → ``"4.09 GMACs"`` (three significant digits, SI prefixes).

    Example:
        >>> human(4_089_184_256, "MACs")
        '4.09 GMACs'
    """
    for scale, prefix in _PREFIXES:
        if abs(value) >= scale:
            v = value / scale
            digits = 2 if abs(v) < 10 else 1 if abs(v) < 100 else 0
            return f"{v:.{digits}f} {prefix}{unit}"
    return f"{value:g} {unit}".rstrip()


def count(value: int) -> str:
    return f"{value:,}"


def run_lengths(widths: list[int], limit: int = 14) -> str:
    """Run-length summary: ``64×3 256 128×2 …``."""
    runs: list[list[int]] = []
    for w in widths:
        if runs and runs[-1][0] == w:
            runs[-1][1] += 1
        else:
            runs.append([w, 1])
    tokens = [f"{w}×{n}" if n > 1 else str(w) for w, n in runs]
    text = " ".join(tokens[:limit])
    if len(tokens) > limit:
        text += f" … ({len(widths)} layers)"
    return text


def _skips(profile: ModelProfile) -> str:
    skips = profile.structure.skip_connections
    if not skips:
        return "none found"
    parts = []
    for kind, n in profile.structure.skip_counts().items():
        projected = sum(1 for s in skips if s.kind == kind and s.projection)
        parts.append(f"{n} {kind}" + (f" ({projected} with a projection shortcut)" if projected else ""))
    spans = [s.spans for s in skips]
    span = f"{min(spans)}" if min(spans) == max(spans) else f"{min(spans)}–{max(spans)}"
    return ", ".join(parts) + f"; each spans {span} weighted layer{'s' if max(spans) > 1 else ''}"


def _summary(profile: ModelProfile) -> Table:
    s = profile.structure
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    p = profile.params
    size = f" ({human(p.total)})" if p.total >= 1000 else ""
    grid.add_row("Parameters", f"{count(p.total)}{size} · trainable {count(p.trainable)} · {fmt_bytes(p.bytes)}")
    grid.add_row("Forward", f"{human(profile.macs_forward, 'MACs')} · {human(profile.flops_forward, 'FLOPs')}")
    grid.add_row("Backward", f"{human(profile.macs_backward, 'MACs')} · {human(profile.flops_backward, 'FLOPs')}")
    grid.add_row("Depth", f"{s.depth} weighted layers on the longest input→output path")
    grid.add_row("Widths", run_lengths(s.widths) or "no weighted layers")
    grid.add_row("Skips", _skips(profile))
    grid.add_row("Families", ", ".join(s.families) or "none")
    return grid


def _layer_table(profile: ModelProfile) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_footer=True, pad_edge=False)
    total_f = profile.flops_forward
    table.add_column("Layer", footer="Total", overflow="fold")
    table.add_column("Type", overflow="fold")
    table.add_column("Output shape")
    # Numbers are exact and never truncated or wrapped; only paths and types fold.
    for title, total in (("Params", profile.params.total), ("FLOPs fwd", total_f), ("%", None),
                         ("FLOPs bwd", profile.flops_backward)):
        footer = count(total) if total is not None else ("100.0" if total_f else "—")
        table.add_column(title, justify="right", footer=footer, no_wrap=True, min_width=max(len(footer), len(title)))
    for row in profile.layers:
        shape = "x".join(map(str, row.output_shape)) if row.output_shape else ("not run" if row.calls == 0 else "—")
        share = f"{100 * row.flops_forward / total_f:.1f}" if total_f else "—"
        path = row.path or "(model)"
        if row.calls > 1:
            path += f" ×{row.calls}"
        params = count(row.params) + ("*" if row.tied_to else "")
        table.add_row(path, row.type, shape, params, count(row.flops_forward), share, count(row.flops_backward))
    return table


def _tied_notes(profile: ModelProfile) -> list[Text]:
    return [
        Text(f"* {row.path}: {', '.join(row.tied_to)} (shared, counted once at its owner)", style="dim")
        for row in profile.layers if row.tied_to
    ]


def render_profile(profile: ModelProfile, per_layer: bool = False) -> RenderableType:
    """The ``archwise profile`` report as a rich renderable."""
    method = "meta: shapes only, nothing allocated" if profile.method == "meta" else "real: run on the CPU"
    head = Text.assemble(
        ("archwise profile", "bold"), f" · {profile.model} · input {', '.join(profile.inputs)} · method {method}"
    )
    parts: list[RenderableType] = [head, Text(""), _summary(profile)]
    if per_layer:
        parts += [Text(""), _layer_table(profile), *_tied_notes(profile)]
    from .memory import render_fit, render_inference, render_latency, render_training

    if profile.training_memory is not None:
        parts += [Text(""), render_training(profile.training_memory)]
    if profile.inference_memory is not None:
        parts += [Text(""), render_inference(profile.inference_memory)]
    if profile.fit is not None:
        parts += [Text(""), render_fit(profile.fit)]
    if profile.latency is not None:
        parts += [Text(""), render_latency(profile.latency)]
    parts.append(Text(""))
    parts += [Text(f"note: {note}", style="yellow") for note in profile.notes]
    parts.append(Text(CONVENTION + ".", style="dim"))
    return Group(*parts)


def make_console(width: int | None = None) -> Console:
    """A console for reports: the terminal's width on a terminal, and a fixed 160 columns when
    the output is piped or captured, so reports do not depend on the environment."""
    if width is None:
        import sys

        width = None if sys.stdout.isatty() else 160
    return Console(width=width, highlight=False)


def print_profile(profile: ModelProfile, per_layer: bool = False, console: Console | None = None) -> None:
    (console or make_console()).print(render_profile(profile, per_layer))
