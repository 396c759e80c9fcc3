"""The report's figures, drawn with matplotlib's object API on an Agg canvas (no display, no pyplot
state) and returned as PNG bytes. Every figure reads only the JSON form of a result (or a
:class:`~archwise.train.record.TrainingRecord`), so a report drawn from saved files and one drawn
from live objects are the same.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from .memory import fmt_bytes

__all__ = ["png", "share_bars", "memory_bars", "plan_bars", "latency_bars", "gradient_heatmap", "learning_curves",
           "ladder_scatter", "constraint_bars", "MEMORY_PARTS"]

MEMORY_PARTS = (("weights", "weights", "#1f618d"), ("weight_copies", "weight copies", "#5dade2"),
                ("gradients", "gradients", "#c0392b"), ("optimizer_state", "optimizer state", "#e67e22"),
                ("activations", "activations", "#27ae60"), ("transient", "transient", "#95a5a6"))


def _figure(width: float, height: float):  # noqa: ANN202
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def png(fig, dpi: int = 100) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def share_bars(groups: Sequence[tuple[str, int, int]], unit_params: str = "parameters",
               unit_flops: str = "forward FLOPs") -> bytes:
    """Two horizontal bar panels: each group's share of the parameters and of the forward FLOPs."""
    fig = _figure(10, 0.6 + 0.32 * max(len(groups), 3))
    axes = fig.subplots(1, 2, sharey=True)
    names = [g[0] for g in groups][::-1]
    total_p = sum(g[1] for g in groups) or 1
    total_f = sum(g[2] for g in groups) or 1
    for ax, values, total, color, label in ((axes[0], [g[1] for g in groups][::-1], total_p, "#1f618d", unit_params),
                                            (axes[1], [g[2] for g in groups][::-1], total_f, "#27ae60", unit_flops)):
        shares = [100 * v / total for v in values]
        ax.barh(range(len(names)), shares, color=color)
        for i, s in enumerate(shares):
            if s > 0:
                ax.text(s, i, f" {s:.1f} %", va="center", fontsize=7)
        ax.set_xlim(0, max(max(shares, default=0) * 1.25, 1))
        ax.set_xlabel(f"share of {label} (%)")
        ax.grid(True, axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(names)))
    axes[0].set_yticklabels(names, fontsize=8)
    return png(fig)


def memory_bars(bars: Sequence[tuple[str, dict[str, int]]], limit: tuple[str, int] | None = None) -> bytes:
    """Stacked bars: one per phase (or mode), stacked by what the bytes hold; a line at the usable
    device memory when it is on the same scale."""
    fig = _figure(8, 3.6)
    ax = fig.subplots()
    x = range(len(bars))
    bottoms = [0.0] * len(bars)
    for key, label, color in MEMORY_PARTS:
        values = [float(parts.get(key) or 0) for _, parts in bars]
        if not any(values):
            continue
        ax.bar(x, values, bottom=bottoms, color=color, label=label, width=0.6)
        bottoms = [b + v for b, v in zip(bottoms, values)]
    top = max(bottoms, default=0)
    for i, b in enumerate(bottoms):
        ax.text(i, b, fmt_bytes(b), ha="center", va="bottom", fontsize=8)
    if limit is not None and limit[1] <= 3 * top:
        ax.axhline(limit[1], color="#c0392b", linestyle="--", linewidth=1, label=limit[0])
    ax.set_xticks(list(x))
    ax.set_xticklabels([name for name, _ in bars], fontsize=8)
    _bytes_axis(ax, max(top, limit[1] if limit and limit[1] <= 3 * top else 0))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(True, axis="y", alpha=0.3)
    return png(fig)


def _bytes_axis(ax, top: float) -> None:  # noqa: ANN001
    from matplotlib.ticker import FuncFormatter

    ax.set_ylim(0, top * 1.15 if top else 1)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_bytes(v)))
    ax.set_ylabel("memory")


def plan_bars(plans: Sequence[dict[str, Any]], usable: int, device: str) -> bytes:
    """Per-GPU memory under each sharding strategy, with the device's usable memory as a line."""
    fig = _figure(8, 3.2)
    ax = fig.subplots()
    names = [f"{p['strategy']}\n×{p['gpus']}" for p in plans]
    values = [p["per_gpu_bytes"] for p in plans]
    colors = ["#27ae60" if p["fits"] else "#c0392b" for p in plans]
    ax.bar(range(len(plans)), values, color=colors, width=0.6)
    for i, v in enumerate(values):
        ax.text(i, v, fmt_bytes(v), ha="center", va="bottom", fontsize=8)
    ax.axhline(usable, color="#34495e", linestyle="--", linewidth=1, label=f"usable on {device} ({fmt_bytes(usable)})")
    ax.set_xticks(range(len(plans)))
    ax.set_xticklabels(names, fontsize=8)
    _bytes_axis(ax, max(max(values, default=0), usable))
    ax.set_title("per-GPU memory (green: fits, red: does not)", loc="left", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(True, axis="y", alpha=0.3)
    return png(fig)


def latency_bars(rows: Sequence[tuple[str, float | None, float | None]], predicted_label: str,
                 measured_label: str) -> bytes:
    """Predicted beside measured milliseconds, one pair per row (forward, training step)."""
    fig = _figure(7, 2.8)
    ax = fig.subplots()
    width = 0.38
    for i, (name, pred, meas) in enumerate(rows):
        for offset, value, color, label in ((-width / 2, pred, "#5dade2", predicted_label),
                                            (width / 2, meas, "#1f618d", measured_label)):
            if value is None:
                continue
            ax.barh(i + offset, value, height=width, color=color, label=label if i == 0 else None)
            ax.text(value, i + offset, f" {value:.3g} ms", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=8)
    ax.invert_yaxis()
    top = max((v for r in rows for v in r[1:] if v is not None), default=1)
    ax.set_xlim(0, top * 1.3)
    ax.set_xlabel("milliseconds")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(True, axis="x", alpha=0.3)
    return png(fig)


def gradient_heatmap(record, marked: Sequence[str] = ()) -> bytes:  # noqa: ANN001
    """Gradient flow per layer over time: log10 of each weighted layer's gradient norm at every
    sampled step; layers named in ``marked`` (a diagnosis's evidence) have red labels."""
    import numpy as np

    samples = [s for s in record.steps if s.grad_norm is not None and not s.skipped]
    names = [layer.name for layer in record.layers]
    grid = np.full((len(names), len(samples)), np.nan)
    for j, s in enumerate(samples):
        for i, v in enumerate(s.grad_norm):
            if v is not None and math.isfinite(v) and v > 0:
                grid[i, j] = math.log10(v)
    fig = _figure(11, 1.2 + 0.22 * max(len(names), 6))
    ax = fig.subplots()
    finite = grid[np.isfinite(grid)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    image = ax.imshow(grid, aspect="auto", interpolation="nearest", cmap="viridis", vmin=lo, vmax=max(hi, lo + 1e-9),
                      extent=(-0.5, len(samples) - 0.5, len(names) - 0.5, -0.5))
    bar = fig.colorbar(image, ax=ax, pad=0.01)
    bar.set_label("log10 gradient norm", fontsize=8)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=7)
    for label, name in zip(ax.get_yticklabels(), names):
        if name in marked:
            label.set_color("#c0392b")
            label.set_fontweight("bold")
    ticks = sorted({0, len(samples) - 1, *range(0, len(samples), max(1, len(samples) // 8))})
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(samples[t].step) for t in ticks], fontsize=7)
    ax.set_xlabel("step (sampled)")
    ax.set_title(f"Gradient flow over time: {len(names)} layers × {len(samples)} sampled steps (blank: no gradient "
                 "or non-finite)", loc="left", fontsize=9)
    return png(fig)


def learning_curves(record, diagnoses) -> bytes:  # noqa: ANN001
    """The loss per step and the per-epoch curves, with the diagnosed regions marked (the panels
    ``archwise diagnose --plot`` draws)."""
    from ..train.plot import run_panels

    panels = run_panels(record, gradients=False)  # the report draws gradient flow over time on its own
    fig = _figure(11, 3.4 * max(len(panels), 1))
    axes = fig.subplots(max(len(panels), 1), 1, squeeze=False)[:, 0]
    for draw, ax in zip(panels, axes):
        draw(ax, record, diagnoses)
    return png(fig)


def ladder_scatter(result: dict[str, Any]) -> bytes:
    """Test score against parameters, error bars over the seeds; kept, rejected and recommended."""
    from ..ladder.plot import draw_ladder

    fig = _figure(7.5, 4.2)
    draw_ladder(fig.subplots(), result)
    return png(fig)


def constraint_bars(rows: Sequence[tuple[str, float, bool, bool]]) -> bytes:
    """Each budget's use as a share of its limit (capacity: of the band's top), the binding one bold."""
    fig = _figure(7, 0.9 + 0.45 * len(rows))
    ax = fig.subplots()
    names = [r[0] for r in rows]
    values = [100 * r[1] for r in rows]
    colors = ["#27ae60" if ok else "#c0392b" for _, _, ok, _ in rows]
    ax.barh(range(len(rows)), values, color=colors, height=0.55)
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:.3g} %", va="center", fontsize=8)
    ax.axvline(100, color="#34495e", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(names, fontsize=8)
    for label, (_, _, _, binding) in zip(ax.get_yticklabels(), rows):
        if binding:
            label.set_fontweight("bold")
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("share of the limit (%; log scale; the dashed line is the limit)")
    ax.grid(True, axis="x", alpha=0.3)
    return png(fig)
