"""loss_not_decreasing: the smoothed loss barely moved over the run (the seed's problem 1)."""

from __future__ import annotations


from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, fmt
from ..record import TrainingRecord
from ._advice import by_evidence, check_initialization, frozen_words, init_gaps, normalize_inputs, weighted_depth
from ._signals import Signals

PROBLEM = "loss_not_decreasing"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    if not sig.enough or sig.drop is None or sig.drop >= cfg.flat_loss or sig.nonfinite_steps:
        return None
    if sig.tail > sig.head * cfg.divergence_factor and sig.head > 0:
        return None  # rising, not flat: divergence says so
    evidence = {"first_loss": sig.head, "last_loss": sig.tail, "drop": sig.drop, "steps": len(sig.losses),
                "window": sig.width}
    summary = (f"the loss went from {fmt(sig.head)} to {fmt(sig.tail)} over {len(sig.losses)} steps "
               f"({_change(sig.drop)}; less than {fmt(100 * cfg.flat_loss)}% lower counts as not learning)")
    depth = weighted_depth(record)
    norms = sig.layer_medians("grad_norm")
    clean = [g for g in norms if g is not None]
    spread = (max(clean) / max(min(clean), 1e-30)) if clean else None
    vanishing = sig.vanishing
    skip = Prescription("add_skip_connections", f"add skip connections: {depth} weighted layers "
                        + (f"and a {fmt(spread)}× spread in layer gradient norms" if spread and clean and min(clean) > 0
                           else "in sequence; the seed adds skips past 10"))
    typical = sig.typical_update_ratio()
    lr = sig.lr()
    lr_text = f" ({fmt(lr)})" if lr else ""
    gaps = init_gaps(record)
    if typical == 0:
        lr_fix = Prescription("check_learning_rate", f"check the learning rate{lr_text}: the weights did not change at "
                              "all; check that the optimizer holds the model's parameters and that their gradients "
                              "are not all zero")
    elif typical is not None and typical < cfg.tiny_update:
        lr_fix = Prescription("raise_learning_rate", f"raise the learning rate{lr_text} 10-100×: updates are only "
                              f"{fmt(typical)} of the weights (healthy ≈ 1e-3)"
                              + ("" if gaps or vanishing else " and the initialisation is the usual one, so the steps are too "
                                                            "small"))
    else:
        lr_fix = Prescription("lower_learning_rate", f"lower the learning rate{lr_text}"
                              + (f": updates are {fmt(typical)} of the weights (healthy ≈ 1e-3)" if typical else ""))
    frozen = frozen_words(record)
    # by evidence first (each with its numbers in the text), then the seed's order
    init = check_initialization(record)
    prescriptions = by_evidence(
        [(sig.inputs_unscaled(), normalize_inputs(sig)),
         (frozen is not None, Prescription("increase_trainable_capacity", frozen or "")),
         (depth > 10 and vanishing, skip),
         (lr_fix.action == "raise_learning_rate" and not gaps and not vanishing, lr_fix),  # (vanishing
         # gradients make the updates tiny too, and a larger step does not reach the bottom layers)
         (bool(gaps), init)],
        ([skip] if depth > 10 else []) + [init, lr_fix, normalize_inputs(sig)])
    return Diagnosis(PROBLEM, Severity.WARNING, summary, evidence, tuple(prescriptions))


def _change(drop: float) -> str:
    return f"{fmt(100 * drop)}% lower" if drop >= 0 else f"{fmt(-100 * drop)}% higher"
