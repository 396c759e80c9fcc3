"""loss_not_decreasing: the smoothed loss barely moved over the run (the seed's problem 1)."""

from __future__ import annotations


from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, fmt
from ..record import TrainingRecord
from ._advice import check_initialization, normalize_inputs, weighted_depth
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
    prescriptions = []
    depth = weighted_depth(record)
    norms = sig.layer_medians("grad_norm")
    clean = [g for g in norms if g is not None]
    spread = (max(clean) / max(min(clean), 1e-30)) if clean else None
    if depth > 10:
        prescriptions.append(Prescription("add_skip_connections", f"add skip connections: {depth} weighted layers "
                                          + (f"and a {fmt(spread)}× spread in layer gradient norms" if spread and min(clean) > 0 else
                                             "in sequence; the seed adds skips past 10")))
    prescriptions.append(check_initialization(record))
    typical = sig.typical_update_ratio()
    lr = sig.lr()
    lr_text = f" ({fmt(lr)})" if lr else ""
    if typical == 0:
        prescriptions.append(Prescription("check_learning_rate", f"check the learning rate{lr_text}: the weights did "
                                          "not change at all; check that the optimizer holds the model's parameters "
                                          "and that their gradients are not all zero"))
    elif typical is not None and typical < 1e-5:
        prescriptions.append(Prescription("raise_learning_rate", f"raise the learning rate{lr_text}: updates are only "
                                          f"{fmt(typical)} of the weights (healthy ≈ 1e-3)"))
    else:
        prescriptions.append(Prescription("lower_learning_rate", f"lower the learning rate{lr_text}"
                                          + (f": updates are {fmt(typical)} of the weights (healthy ≈ 1e-3)"
                                             if typical else "")))
    prescriptions.append(normalize_inputs())
    return Diagnosis(PROBLEM, Severity.WARNING, summary, evidence, tuple(prescriptions))


def _change(drop: float) -> str:
    return f"{fmt(100 * drop)}% lower" if drop >= 0 else f"{fmt(-100 * drop)}% higher"
