"""One figure of a recorded run, with what :func:`~archwise.train.diagnose` found marked on it.

Up to three panels, top to bottom, each left out when the record has nothing for it:

* **gradient flow**: per weighted layer, in the model's order, the median gradient norm over the
  sampled steps (log scale) with the 10th–90th percentile band; the layers named in the
  ``vanishing_gradients``, ``exploding_gradients`` and ``non_finite`` evidence are marked;
* **loss per step**: every step's loss (faint), its rolling median (the smoothing the detectors
  use), non-finite losses as crosses on the top edge; a line at the first non-finite step, at the
  largest gradient of an explosion, the span from the lowest smoothed loss to the end for
  ``divergence``, the span ``oscillation`` judged;
* **epochs**: train and val loss per epoch, the metrics on a second axis; for ``overfitting`` the
  span from the best val epoch to the end.

A record without layers (a Lightning ``metrics.csv``) has no gradient panel. Drawn with
matplotlib's object API on an Agg canvas: no display and no pyplot state are touched.
"""

from __future__ import annotations

import math
import statistics
import textwrap
from collections.abc import Sequence
from pathlib import Path

from ..errors import ArchwiseError
from .diagnosis import DiagnoseConfig, Diagnosis
from .record import TrainingRecord

__all__ = ["plot_run", "run_panels"]

_SUFFIXES = (".png", ".svg", ".pdf")
_COLORS = {"non_finite": "#c0392b", "exploding_gradients": "#e67e22", "divergence": "#d35400",
           "vanishing_gradients": "#8e44ad", "loss_not_decreasing": "#7d3c98", "overfitting": "#d68910",
           "underfitting": "#2e86c1", "oscillation": "#16a085"}


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _evidence(diagnoses: Sequence[Diagnosis], problem: str) -> dict | None:
    return next((d.evidence for d in diagnoses if d.problem == problem), None)


def _color(diagnoses: Sequence[Diagnosis], problem: str) -> str:
    return _COLORS.get(problem, "#d68910")


def _gradient_panel(ax, record: TrainingRecord, diagnoses: Sequence[Diagnosis]) -> None:  # noqa: ANN001
    samples = [s for s in record.steps if s.grad_norm is not None and not s.skipped]
    names = [layer.name for layer in record.layers]
    x = list(range(len(names)))
    med, low, high, top = [], [], [], []
    for i in x:
        values = sorted(v for s in samples if (v := s.grad_norm[i]) is not None and math.isfinite(v))
        if values:
            med.append(statistics.median(values))
            low.append(values[int(0.1 * (len(values) - 1))])
            high.append(values[int(0.9 * (len(values) - 1))])
            top.append(values[-1])
        else:
            med.append(math.nan)
            low.append(math.nan)
            high.append(math.nan)
            top.append(math.nan)
    # a log axis cannot show 0: zero norms (no gradient reached the layer) sit on a floor, marked
    positive = [v for v in med + low + high if _finite(v) and v > 0]
    floor = min(positive) / 10 if positive else 1e-12
    zeros = [i for i in x if _finite(med[i]) and med[i] <= 0]
    med, low, high, top = ([max(v, floor) if _finite(v) else v for v in seq] for seq in (med, low, high, top))
    ax.plot(x, top, ":", color="#1f618d", linewidth=0.9, alpha=0.7, label="largest over the samples")
    ax.fill_between(x, low, high, color="#5dade2", alpha=0.25, linewidth=0, label="10th–90th percentile")
    ax.plot(x, med, "o-", color="#1f618d", markersize=3, linewidth=1.2, label="median gradient norm")
    if zeros:
        ax.scatter(zeros, [floor] * len(zeros), marker="v", color="#1f618d", s=30, zorder=3,
                   label="median 0 (drawn at the floor)")
    ax.set_yscale("log")
    marked: list[tuple[list[str], str, str]] = []
    vanishing = _evidence(diagnoses, "vanishing_gradients")
    if vanishing:
        marked.append((vanishing.get("layers", []), _color(diagnoses, "vanishing_gradients"), "vanishing"))
    exploding = _evidence(diagnoses, "exploding_gradients")
    if exploding:
        color = _color(diagnoses, "exploding_gradients")
        peak, where = exploding.get("max_grad_norm"), exploding.get("max_grad_layer")
        if _finite(peak) and where in names:
            ax.scatter([names.index(where)], [peak], marker="^", s=60, color=color, zorder=4,
                       label=f"exploding: peak {peak:.3g} at step {exploding.get('max_grad_step')}")
        layers = [where, exploding.get("update_ratio_layer")]
        for i in sorted({names.index(n) for n in layers if n in names}):
            ax.axvspan(i - 0.4, i + 0.4, color=color, alpha=0.08, linewidth=0)
    non_finite = _evidence(diagnoses, "non_finite")
    if non_finite and non_finite.get("nonfinite_grad_layers"):
        marked.append((non_finite["nonfinite_grad_layers"], _color(diagnoses, "non_finite"), "non-finite gradient"))
    for layer_names, color, label in marked:
        idx = [names.index(n) for n in layer_names if n in names]
        finite_idx = [i for i in idx if _finite(med[i])]
        if finite_idx:
            ax.scatter(finite_idx, [med[i] for i in finite_idx], s=40, facecolors="none", edgecolors=color,
                       linewidths=1.5, zorder=3, label=label)
        for i in idx:
            ax.axvspan(i - 0.4, i + 0.4, color=color, alpha=0.08, linewidth=0)
    ax.set_xticks(x)
    few = len(names) <= 12
    labels = [f"{n}\n{layer.type}" if few else n for n, layer in zip(names, record.layers)]
    step = max(1, math.ceil(len(names) / 40))
    ax.set_xticklabels([label if i % step == 0 else "" for i, label in enumerate(labels)],
                       rotation=0 if few else 90, fontsize=8 if few else 7)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_xlabel("layer (model order)")
    ax.set_ylabel("gradient norm")
    ax.set_title(f"Gradient flow: {len(samples)} sampled steps (every {record.every})", loc="left", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    ax.grid(True, which="major", axis="y", alpha=0.3)


def _loss_panel(ax, record: TrainingRecord, diagnoses: Sequence[Diagnosis]) -> None:  # noqa: ANN001
    from .detectors._signals import Signals

    sig = Signals(record, DiagnoseConfig())
    ax.plot(sig.steps, sig.losses, color="#7f8c8d", alpha=0.35, linewidth=0.8, label="loss")
    if sig.smooth:
        ax.plot(sig.steps[sig.width - 1:], sig.smooth, color="#1f618d", linewidth=1.6,
                label=f"rolling median of {sig.width}")
    positive = sig.losses and all(v > 0 for v in sig.losses)
    if positive and max(sig.losses) / min(sig.losses) > 20:
        ax.set_yscale("log")
    if sig.nonfinite_steps:
        top = max(sig.losses) if sig.losses else 1.0
        ax.scatter(sig.nonfinite_steps, [top] * len(sig.nonfinite_steps), marker="x", color="#c0392b", s=18,
                   zorder=3, label="non-finite loss")
    end = max(s.step for s in record.steps)
    nf = _evidence(diagnoses, "non_finite")
    if nf and nf.get("first_nonfinite_step") is not None:
        ax.axvline(nf["first_nonfinite_step"], color=_color(diagnoses, "non_finite"), linestyle="--", linewidth=1.2,
                   label=f"first non-finite loss (step {nf['first_nonfinite_step']})")
    div = _evidence(diagnoses, "divergence")
    if div and div.get("best_step") is not None:
        ax.axvspan(div["best_step"], end, color=_color(diagnoses, "divergence"), alpha=0.12, linewidth=0,
                   label=f"divergence from step {div['best_step']}")
        if _finite(div.get("best_loss")):
            ax.scatter([div["best_step"]], [div["best_loss"]], color=_color(diagnoses, "divergence"), zorder=3, s=20)
    osc = _evidence(diagnoses, "oscillation")
    if osc and osc.get("from_step") is not None:
        ax.axvspan(osc["from_step"], end, color=_color(diagnoses, "oscillation"), alpha=0.08, linewidth=0,
                   label=f"oscillation from step {osc['from_step']}")
    exp = _evidence(diagnoses, "exploding_gradients")
    if exp and exp.get("max_grad_step") is not None:
        ax.axvline(exp["max_grad_step"], color=_color(diagnoses, "exploding_gradients"), linestyle=":",
                   linewidth=1.2, label=f"largest gradient (step {exp['max_grad_step']})")
    flat = _evidence(diagnoses, "loss_not_decreasing")
    if flat and _finite(flat.get("first_loss")) and _finite(flat.get("last_loss")):
        color = _color(diagnoses, "loss_not_decreasing")
        ax.axhline(flat["first_loss"], color=color, linestyle=":", linewidth=1,
                   label=f"loss not decreasing: first {flat['first_loss']:.3g}")
        ax.axhline(flat["last_loss"], color=color, linestyle="-.", linewidth=1, label=f"last {flat['last_loss']:.3g}")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(f"Loss per step: {len(sig.losses) + len(sig.nonfinite_steps)} steps", loc="left", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    ax.grid(True, alpha=0.3)


def _epoch_panel(ax, record: TrainingRecord, diagnoses: Sequence[Diagnosis]) -> None:  # noqa: ANN001
    from matplotlib.ticker import MaxNLocator

    epochs = record.epochs
    lines = []
    for key, color, label in (("train_loss", "#1f618d", "train loss"), ("val_loss", "#c0392b", "val loss")):
        points = [(e.epoch, getattr(e, key)) for e in epochs if getattr(e, key) is not None]
        if points:
            lines += ax.plot(*zip(*points), "o-", color=color, markersize=3, linewidth=1.4, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    metrics = [(key, color, label) for key, color, label in
               (("train_metric", "#1f618d", "train metric"), ("val_metric", "#c0392b", "val metric"))
               if any(getattr(e, key) is not None for e in epochs)]
    if metrics:
        twin = ax.twinx()
        for key, color, label in metrics:
            points = [(e.epoch, getattr(e, key)) for e in epochs if getattr(e, key) is not None]
            lines += twin.plot(*zip(*points), "s--", color=color, markersize=2.5, linewidth=1, alpha=0.7, label=label)
        twin.set_ylabel("metric" + (" (higher is better)" if record.metric_higher_is_better else " (lower is better)"))
    over = _evidence(diagnoses, "overfitting")
    if over is not None:
        color = _color(diagnoses, "overfitting")
        start = over.get("best_epoch")
        last = epochs[-1].epoch
        if start is not None:
            ax.axvline(start, color=color, linestyle="--", linewidth=1)
            lines.append(ax.axvspan(start, last, color=color, alpha=0.12, linewidth=0,
                                    label=f"overfitting: val loss above its best (epoch {start})"))
        else:
            lines.append(ax.axvspan(last - 0.5, last + 0.5, color=color, alpha=0.12, linewidth=0,
                                    label="overfitting: train/val metric gap"))
    under = _evidence(diagnoses, "underfitting")
    if under is not None:
        ax.text(0.99, 0.95, "underfitting: train and val both poor", transform=ax.transAxes, ha="right", va="top",
                fontsize=8, color=_color(diagnoses, "underfitting"))
    # log only for blow-ups: a val loss rising 2× must stay visible next to a train loss falling 1000×
    values = [e.val_loss for e in epochs if _finite(e.val_loss)] or [e.train_loss for e in epochs
                                                                       if _finite(e.train_loss)]
    if values and min(values) > 0 and max(values) / min(values) > 100:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"Epochs: {len(epochs)}", loc="left", fontsize=10)
    if lines:  # above the axes: "best" on one axis cannot see the other axis's lines
        ax.legend(lines, [line.get_label() for line in lines], fontsize=7, loc="lower right",
                  bbox_to_anchor=(1.0, 1.0), ncol=min(len(lines), 3), frameon=False)
    ax.grid(True, alpha=0.3)


def run_panels(record: TrainingRecord, gradients: bool = True) -> list:
    """The panels the record has data for, top to bottom (``gradients=False`` leaves out the
    gradient-flow panel): each a function ``draw(ax, record, diagnoses)``."""
    panels = []
    if gradients and record.layers and any(s.grad_norm is not None and any(_finite(v) for v in s.grad_norm)
                                           for s in record.steps):
        panels.append(_gradient_panel)
    if any(s.loss is not None for s in record.steps):
        panels.append(_loss_panel)
    if any(v is not None for e in record.epochs for v in (e.train_loss, e.val_loss, e.train_metric, e.val_metric)):
        panels.append(_epoch_panel)
    return panels


def plot_run(record: TrainingRecord, diagnoses: Sequence[Diagnosis], path: str | Path) -> Path:
    """Draw the run to ``path`` (``.png``, ``.svg`` or ``.pdf``) and return the path written."""
    path = Path(path)
    if path.suffix.lower() not in _SUFFIXES:
        raise ArchwiseError(f"plot_run writes an image: expected a {', '.join(_SUFFIXES)} path, found '{path}'")
    panels = run_panels(record)
    if not panels:
        raise ArchwiseError(f"{record.source or 'the record'} has no step losses, gradient samples or epoch losses to "
                            "plot; expected a run that recorded at least one of them")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 3.6 * len(panels)), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    for draw, ax in zip(panels, axes):
        draw(ax, record, diagnoses)
    found = ", ".join(f"{d.problem} ({d.severity.value})" for d in diagnoses) or "no problems found"
    name = Path(record.source).name if record.source else "run"
    title = textwrap.fill(f"archwise diagnose: {name}: {found}", 120, subsequent_indent="    ")
    fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path
