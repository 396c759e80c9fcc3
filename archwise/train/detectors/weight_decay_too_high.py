"""weight_decay_too_high: the weights shrink steadily toward zero while the loss stays near a trivial
guess: the weight decay pulls harder than the gradient. (The update-to-weight ratio then looks like
an explosion, because the weights are small, not because the updates are large.)"""

from __future__ import annotations

import math

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, fmt
from ..record import TrainingRecord
from ._signals import Signals

PROBLEM = "weight_decay_too_high"


def shrink(sig: Signals) -> float | None:
    """The total weight norm at the last sample over that at the first (None without two samples)."""
    totals = []
    for s in sig.samples:
        values = [w for w in (s.weight_norm or []) if w is not None and math.isfinite(w)]
        if values:
            totals.append(math.sqrt(sum(w * w for w in values)))
    if len(totals) < 3 or totals[0] <= 0:
        return None
    return totals[-1] / totals[0]


def late_progress(sig: Signals) -> float | None:
    """How far the loss at the end is below the best it reached in the first half of the run (the
    smoothed loss's minimum there), relative to that best: about 0 or below when the second half
    brought no new low, as when the decay erodes what the first steps learned."""
    half = sig.smooth[:len(sig.smooth) // 2]
    if len(half) < 2 or sig.tail is None:
        return None
    best = min(half)
    return (best - sig.tail) / max(abs(best), 1e-12)


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    wd = (record.meta.get("optimizer") or {}).get("weight_decay") or 0.0
    ratio = shrink(sig)
    if wd <= 0 or ratio is None or ratio > cfg.decay_shrink or not sig.enough:
        return None
    late = late_progress(sig)
    if (sig.progress or 0.0) >= cfg.improving_well and (late is None or late >= cfg.flat_loss):
        return None  # the weights shrank, but the loss is learning: decay doing its job
    # (a loss that fell early and then sat flat for the second half while the weights kept shrinking is
    # the decay winning: what was learned in the first steps is being decayed away)
    evidence = {"weight_decay": wd, "weight_norm_ratio": ratio, "progress": sig.progress, "last_loss": sig.tail,
                "second_half_progress": late}
    ref = (f"the trivial predictor's {fmt(sig.trivial)}" if sig.trivial is not None and sig.reference != sig.head
           else f"its start {fmt(sig.head)}")
    summary = (f"the weights shrank to {fmt(100 * ratio)}% of their starting norm with weight decay {fmt(wd)}, while "
               f"the loss ended at {fmt(sig.tail)}, only {fmt(100 * (sig.progress or 0.0))}% below {ref}"
               + (f", and {fmt(100 * late)}% below its best of the first half" if late is not None else ""))
    return Diagnosis(PROBLEM, Severity.WARNING, summary, evidence, (
        Prescription("reduce_weight_decay", f"reduce the weight decay: {fmt(wd)} pulls the weights to zero faster than "
                     f"the gradient builds them; try {fmt(wd / 100)} (AdamW's default is 0.01; 1e-4 to 1e-2 is usual)"),
    ))
