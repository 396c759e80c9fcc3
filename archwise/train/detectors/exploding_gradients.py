"""exploding_gradients: gradient norms that are huge or grew by orders of magnitude, or updates
as large as the weights, while the loss is not improving well."""

from __future__ import annotations

import math
import statistics

from ..diagnosis import DiagnoseConfig, Diagnosis, Severity, fmt
from ..record import TrainingRecord
from ._advice import check_initialization, clip_gradients, frozen_words, lower_learning_rate, normalize_inputs
from ._signals import Signals
from .weight_decay_too_high import shrink

PROBLEM = "exploding_gradients"


def _finite(values):
    return [v for v in (values or []) if v is not None and math.isfinite(v)]


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    samples = [s for s in sig.samples if _finite(s.grad_norm)]
    if not samples:
        return None
    peaks = [(max(_finite(s.grad_norm)), s) for s in samples]
    early = statistics.median(p for p, _ in peaks[:3])
    peak, at = max(peaks, key=lambda item: item[0])
    growth = peak / early if early > 0 else 0.0
    ratios = [(max(_finite(s.update_ratio)), s) for s in samples if _finite(s.update_ratio)]
    top_ratio, ratio_at = max(ratios, key=lambda item: item[0]) if ratios else (None, None)
    reasons, evidence = [], {}
    if peak > cfg.exploding_grad:
        reasons.append(f"a gradient norm reached {fmt(peak)} (threshold {fmt(cfg.exploding_grad)})")
    if len(peaks) >= 4 and growth > cfg.exploding_growth:
        reasons.append(f"the largest layer gradient grew {fmt(growth)}× over its early median {fmt(early)}")
    wd = (record.meta.get("optimizer") or {}).get("weight_decay") or 0.0
    shrunk = shrink(sig)
    decaying = wd > 0 and shrunk is not None and shrunk <= cfg.decay_shrink
    # a frozen body: its small trainable head moves a lot relative to its own small weights
    decaying = decaying or frozen_words(record) is not None
    if top_ratio is not None and top_ratio > cfg.exploding_update and not decaying:
        # (weights pulled toward zero by weight decay make any update large beside them: not an explosion)
        layer = record.layers[ratio_at.update_ratio.index(top_ratio)].name
        reasons.append(f"the update-to-weight ratio of {layer} reached {fmt(top_ratio)} at step {ratio_at.step} "
                       "(healthy runs sit near 1e-3)")
        evidence.update(max_update_ratio=top_ratio, update_ratio_layer=layer, update_ratio_step=ratio_at.step)
    if not reasons:
        return None
    layer = record.layers[at.grad_norm.index(peak)].name
    evidence.update(max_grad_norm=peak, max_grad_layer=layer, max_grad_step=at.step, early_median_grad_norm=early,
                    growth=growth, loss_drop=sig.drop)
    severity, gate = sig.gate()
    replaced = "max_update_ratio" in evidence and top_ratio >= cfg.severe_update
    if replaced and severity.rank < Severity.WARNING.rank:
        # one step that moved a layer by as much as its weights is the learning rate, whatever the loss did after
        severity, gate = Severity.WARNING, (f"; one update moved {fmt(top_ratio)}× the layer's own weights, a step no "
                                            "falling loss makes sound")
    gate = (gate if sig.improving_well or replaced else
            "" if sig.drop is None else f"; the loss fell only {fmt(100 * sig.drop)}%" if sig.drop >= 0 else
            f"; the loss rose {fmt(-100 * sig.drop)}%")
    summary = "; ".join(reasons) + gate
    prescriptions = (lower_learning_rate(sig, f" (the largest update was {fmt(top_ratio)} of the weights)"
                                         if top_ratio else ""),
                     clip_gradients(sig), check_initialization(record), normalize_inputs(sig))
    return Diagnosis(PROBLEM, severity, summary, evidence, prescriptions)
