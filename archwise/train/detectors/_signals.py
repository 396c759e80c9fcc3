"""What several detectors read: the loss curve smoothed and compared with itself, and the samples.

Every loss rule is relative to the run's own history (its first and last windows, its smoothed
minimum), so the same thresholds serve a classifier at loss 2.3, a regression at 1e-3 and a
language model at 10.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from ..diagnosis import DiagnoseConfig, Severity, fmt
from ..record import LayerInfo, StepRecord, TrainingRecord

__all__ = ["Signals", "NORM_TYPES", "rolling_median", "layer_ranges", "median_or_none", "recent"]


NORM_TYPES = {"BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "InstanceNorm1d",
               "InstanceNorm2d", "RMSNorm", "Embedding"}


def _rank_corr(values: list[float]) -> float:
    """Spearman's rank correlation of ``values`` with their positions (ties broken by position).

    Example:
        >>> _rank_corr([1, 2, 3, 5]), _rank_corr([3, 2, 1])
        (1.0, -1.0)
    """
    n = len(values)
    if n < 2:
        return 0.0
    ranks = [0] * n
    for r, i in enumerate(sorted(range(n), key=lambda k: (values[k], k))):
        ranks[i] = r
    return 1 - 6 * sum((r - i) ** 2 for i, r in enumerate(ranks)) / (n * (n * n - 1))


def rolling_median(values: list[float], width: int) -> list[float]:
    """The median of each run of ``width`` consecutive values (one per position from ``width - 1`` on).

    Example:
        >>> rolling_median([1, 9, 2, 8, 3], 3)
        [2, 8, 3]
    """
    width = max(1, min(width, len(values)))
    return [statistics.median(values[i - width + 1:i + 1]) for i in range(width - 1, len(values))]


def median_or_none(values: list[float | None]) -> float | None:
    clean = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.median(clean) if clean else None


def recent(samples: list[StepRecord], count: int = 3) -> list[StepRecord]:
    return samples[-count:]


def label(name: str, kind: str) -> str:
    """A module's name as a reader finds it: ``fc1``, but ``3 (ReLU)`` inside an ``nn.Sequential``."""
    return f"{name} ({kind})" if name.split(".")[-1].isdigit() else name


def layer_ranges(indices: list[int], layers: list[LayerInfo]) -> str:
    """Consecutive layer indices as ranges of names: ``fc3–fc18, fc20``.

    Example:
        >>> ls = [LayerInfo(n, "Linear", 1) for n in ("fc1", "fc2", "fc3", "head")]
        >>> layer_ranges([0, 1, 3], ls)
        'fc1–fc2, head'
    """
    if not indices:
        return ""
    parts, start, prev = [], indices[0], indices[0]
    for i in indices[1:] + [None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        first, last = layers[start], layers[prev]
        text = first.name if start == prev else f"{first.name}–{last.name}"
        if first.name.split(".")[-1].isdigit():
            kinds = {layer.type for layer in layers[start:prev + 1]}
            text += f" ({'/'.join(sorted(kinds))})"
        parts.append(text)
        if i is not None:
            start = prev = i
    return ", ".join(parts)


@dataclass
class Signals:
    """The loss curve and the samples, digested once for all detectors."""

    record: TrainingRecord
    config: DiagnoseConfig
    steps: list[int] = field(default_factory=list)        # steps with a finite loss, in order
    losses: list[float] = field(default_factory=list)
    nonfinite_steps: list[int] = field(default_factory=list)
    width: int = 1
    smooth: list[float] = field(default_factory=list)     # rolling median of losses
    head: float | None = None                             # the loss at the start (see __post_init__)
    tail: float | None = None                             # median loss of the last window
    best: float | None = None                             # lowest smoothed loss
    best_step: int | None = None
    samples: list[StepRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        cfg = self.config
        for s in self.record.steps:
            if s.loss is None or s.skipped:
                continue
            if math.isfinite(s.loss):
                self.steps.append(s.step)
                self.losses.append(s.loss)
            else:
                self.nonfinite_steps.append(s.step)
        n = len(self.losses)
        self.samples = [s for s in self.record.steps if s.sampled and not s.skipped]
        if not n:
            return
        self.width = max(cfg.min_window, int(cfg.window * n))
        self.width = min(self.width, n)
        # where the run started: the first loss is taken before any update, so an explosion in the
        # first steps cannot inflate it; the median of the first few guards against one odd batch
        self.head = min(self.losses[0], statistics.median(self.losses[:cfg.min_window]))
        self.tail = statistics.median(self.losses[-self.width:])
        self.smooth = rolling_median(self.losses, self.width)
        low = min(range(len(self.smooth)), key=self.smooth.__getitem__)
        self.best = self.smooth[low]
        self.best_step = self.steps[low + self.width - 1]

    @property
    def enough(self) -> bool:
        return len(self.losses) >= self.config.min_steps

    @property
    def drop(self) -> float | None:
        """How much the loss fell from the first window to the last, relative to the first."""
        if self.head is None or self.tail is None:
            return None
        return (self.head - self.tail) / max(abs(self.head), 1e-12)

    @property
    def classes(self) -> int | None:
        """The number of classes, when the run looks like classification: the model's output has C ≥ 2
        features (or one, read as binary: C = 2) and the epochs log a higher-is-better metric in [0, 1]
        (accuracy)."""
        out = self.record.meta.get("output") or {}
        features = out.get("features")
        metrics = [m for e in self.record.epochs for m in (e.train_metric, e.val_metric) if m is not None]
        if not isinstance(features, int) or features < 1 or not metrics or not self.record.metric_higher_is_better:
            return None
        # one output with an accuracy: a binary classifier on one logit (or probability)
        return max(features, 2) if all(0.0 <= m <= 1.0 for m in metrics) else None

    @property
    def trivial(self) -> float | None:
        """The loss of a trivial predictor: ``Monitor(trivial_loss=...)`` when given, else log C for a
        C-class classifier (a uniform guess under cross-entropy); None when the record cannot tell."""
        given = self.record.meta.get("trivial_loss")
        if isinstance(given, (int, float)) and given > 0:
            return float(given)
        return math.log(self.classes) if self.classes else None

    @property
    def reference(self) -> float | None:
        """Where progress is measured from: the run's start, or the trivial predictor's loss when the
        start is worse than guessing (an inflated start from a bad init or unscaled inputs)."""
        if self.head is None:
            return None
        return min(self.head, self.trivial) if self.trivial is not None else self.head

    @property
    def progress(self) -> float | None:
        """How far the loss fell below the reference, relative to it."""
        ref = self.reference
        if ref is None or self.tail is None:
            return None
        return (ref - self.tail) / max(abs(ref), 1e-12)

    @property
    def improving_well(self) -> bool:
        """The gate: gradient and activation statistics alone never warn while this holds. The fall is
        judged from a sane reference (see :attr:`reference`), so a loss that fell a lot from a silly
        start but not below a trivial guess does not hide dead or saturated units."""
        return self.enough and (self.progress or 0.0) >= self.config.improving_well and not self.nonfinite_steps

    def gate(self, overall: str = "") -> tuple[Severity, str]:
        """A statistic-only detector's severity, and the words that say why it is only ``info``."""
        if self.improving_well:
            against = (f" below the trivial predictor's {fmt(self.reference)}" if self.reference != self.head else "")
            return Severity.INFO, (f"; the loss still fell {fmt(100 * self.progress)}%{against}{overall}, so this is "
                                   "noted only")
        if self.trivial is not None and self.head is not None and self.head > 1.2 * self.trivial and (self.drop or 0) > 0:
            return Severity.WARNING, (f"; the loss fell from {fmt(self.head)} but only to {fmt(self.tail)}, against "
                                      f"{fmt(self.trivial)} for a trivial predictor (log {self.classes} for "
                                      f"{self.classes} classes)" if self.classes else
                                      f"; the loss fell from {fmt(self.head)} but only to {fmt(self.tail)}, against "
                                      f"{fmt(self.trivial)} for a trivial predictor")
        return Severity.WARNING, ""

    def input_scale(self) -> tuple[float, float] | None:
        """(std, largest magnitude) of the first floating training input, when recorded."""
        inp = self.record.meta.get("input") or {}
        if isinstance(inp.get("std"), (int, float)) and isinstance(inp.get("absmax"), (int, float)):
            return float(inp["std"]), float(inp["absmax"])
        return None

    def inputs_unscaled(self) -> bool:
        """The inputs are far from standardised: a spread above 5 or values beyond 50 (standardised
        data sits near 1 and rarely passes 10)."""
        scale = self.input_scale()
        return scale is not None and (scale[0] > 5.0 or scale[1] > 50.0)

    def typical_update_ratio(self) -> float | None:
        """The median over layers of each layer's update-to-weight ratio over the last samples."""
        return median_or_none(self.layer_medians("update_ratio"))

    def vanishing_layers(self) -> list[int]:
        """The layers whose gradients vanish, by one rule every detector shares (indices into
        ``record.layers``, input side first): a gradient norm below ``vanishing_ratio`` × the largest
        layer's or below ``vanishing_abs`` (exact zeros included: no gradient reaches them); or, past
        10 weighted layers, a steady decay toward the input (the log norms rise with depth, rank
        correlation ≥ 0.8) that leaves the input side below ``deep_vanishing_ratio`` × the largest, the
        signature of a plain deep stack (a residual stack's gradients do not shrink toward the input)."""
        norms = self.layer_medians("grad_norm")
        present = [(i, g) for i, g in enumerate(norms) if g is not None]
        if len(present) < 2:
            return []
        top = max(g for _, g in present)
        if top <= 0:
            return []
        cfg = self.config
        low = {i for i, g in present if g < cfg.vanishing_ratio * top or g < cfg.vanishing_abs}
        weighted = [(i, g) for i, g in present if self.record.layers[i].type not in NORM_TYPES and g > 0]
        if len(weighted) > 10 and _rank_corr([math.log(g) for _, g in weighted]) >= 0.8:
            low |= {i for i, g in weighted if g < cfg.deep_vanishing_ratio * top}
        return sorted(low)

    @property
    def vanishing(self) -> bool:
        return bool(self.vanishing_layers())

    def layer_medians(self, key: str, count: int = 3) -> list[float | None]:
        """Per layer (or activation), the median of ``key`` over the last ``count`` samples."""
        chosen = [getattr(s, key) for s in recent(self.samples, count) if getattr(s, key) is not None]
        if not chosen:
            return []
        return [median_or_none([row[i] for row in chosen]) for i in range(len(chosen[0]))]

    def lr(self) -> float | None:
        for s in reversed(self.record.steps):
            if s.lr is not None:
                return s.lr
        return (self.record.meta.get("optimizer") or {}).get("lr")
