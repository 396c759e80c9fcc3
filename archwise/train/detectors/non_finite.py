"""non_finite: a NaN or inf in the loss, the gradients or the weights (steps a GradScaler skipped excepted)."""

from __future__ import annotations

import math

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, fmt
from ..record import TrainingRecord
from ._advice import clip_gradients, lower_learning_rate
from ._signals import Signals, layer_ranges

PROBLEM = "non_finite"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    bad_grad, bad_weight, first_sample = set(), set(), None
    for s in sig.samples:
        for key, bucket in (("grad_norm", bad_grad), ("weight_norm", bad_weight)):
            for i, v in enumerate(getattr(s, key) or []):
                if v is not None and not math.isfinite(v):
                    bucket.add(i)
                    first_sample = s.step if first_sample is None else first_sample
    skipped = [s.step for s in record.steps if s.skipped]
    scaler_trouble = record.meta.get("scaler") and len(skipped) > 0.5 * max(len(record.steps), 1) and len(record.steps) >= cfg.min_steps
    if not sig.nonfinite_steps and not bad_grad and not bad_weight and not scaler_trouble:
        return None
    evidence: dict = {}
    parts = []
    if sig.nonfinite_steps:
        first = sig.nonfinite_steps[0]
        before = [loss for step, loss in zip(sig.steps, sig.losses) if step < first]
        evidence.update(first_nonfinite_step=first, nonfinite_losses=len(sig.nonfinite_steps),
                        last_finite_loss=before[-1] if before else None)
        parts.append(f"the loss became non-finite at step {first} ({len(sig.nonfinite_steps)} of "
                     f"{len(sig.nonfinite_steps) + len(sig.losses)} steps)")
    if bad_grad:
        names = layer_ranges(sorted(bad_grad), record.layers)
        evidence["nonfinite_grad_layers"] = [record.layers[i].name for i in sorted(bad_grad)]
        parts.append(f"gradients of {names} are non-finite")
    if bad_weight:
        names = layer_ranges(sorted(bad_weight), record.layers)
        evidence["nonfinite_weight_layers"] = [record.layers[i].name for i in sorted(bad_weight)]
        parts.append(f"weights of {names} are non-finite")
    if first_sample is not None:
        evidence["first_nonfinite_sample"] = first_sample
    if scaler_trouble:
        evidence["skipped_steps"] = len(skipped)
        parts.append(f"the GradScaler skipped {len(skipped)} of {len(record.steps)} steps for inf/NaN gradients")
    growth = _growth_before(sig)
    loss_growth, update = _loss_growth_before(sig), _largest_update_before(sig, first_sample)
    why = (f" (the gradient norm grew {fmt(growth)}× before it)" if growth and growth > 10 else
           f" (the loss grew {fmt(loss_growth)}× before it)" if loss_growth and loss_growth >= 100 else
           f" (an update moved {fmt(update)} of a layer's weights before it)"
           if update and update >= cfg.severe_update else "")
    # no build-up: gradients sampled and steady before it, the loss not blowing up and no huge update, or no
    # finite loss at all; a bad value or a bad operation, not a learning rate
    if loss_growth:
        evidence["loss_growth_before"] = loss_growth
    if update:
        evidence["largest_update_before"] = update
    never_finite = bool(sig.nonfinite_steps) and not any(step < sig.nonfinite_steps[0] for step in sig.steps)
    steady = growth <= 10 if growth is not None else bool(sig.samples)
    no_buildup = never_finite or (steady and not (loss_growth and loss_growth >= 100)
                                  and not (update and update >= cfg.severe_update))
    data = Prescription("check_data_and_loss", "check the inputs, targets and loss for NaN/inf: log or division by "
                        "zero, an unguarded sqrt, fp16 overflow (use bf16 or a GradScaler)"
                        + (" — the gradients did not grow before it, so a too-large step is not the cause"
                           if no_buildup else ""))
    prescriptions = [lower_learning_rate(sig, why), clip_gradients(sig), data]
    if no_buildup:
        prescriptions = [data, lower_learning_rate(sig, why), clip_gradients(sig)]
    return Diagnosis(PROBLEM, Severity.ERROR, "; ".join(parts), evidence, tuple(prescriptions))


def _growth_before(sig: Signals) -> float | None:
    totals = []
    for s in sig.samples:
        values = [g for g in (s.grad_norm or []) if g is not None]
        if values and all(math.isfinite(g) for g in values):
            totals.append(math.sqrt(sum(g * g for g in values)))
    if len(totals) < 2 or totals[0] <= 0:
        return None
    return max(totals) / totals[0]


def _loss_growth_before(sig: Signals) -> float | None:
    """How many times the largest finite loss before the first non-finite one exceeds the first loss."""
    if not sig.nonfinite_steps:
        return None
    before = [loss for step, loss in zip(sig.steps, sig.losses) if step < sig.nonfinite_steps[0]]
    if len(before) < 2 or before[0] <= 0:
        return None
    return max(before) / before[0]


def _largest_update_before(sig: Signals, first_bad_sample: int | None) -> float | None:
    """The largest finite update-to-weight ratio sampled before anything went non-finite."""
    limit = min([s for s in (first_bad_sample, sig.nonfinite_steps[0] if sig.nonfinite_steps else None)
                 if s is not None], default=None)
    ratios = [r for s in sig.samples if limit is None or s.step < limit
              for r in (s.update_ratio or []) if r is not None and math.isfinite(r)]
    return max(ratios, default=None)
