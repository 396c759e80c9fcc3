"""unscaled_targets: a regression whose loss starts far above 1 (hundreds or more): its targets are in
raw units, so the output layer must grow large weights before anything else is learned, and the
loss's scale hides everything else. Standardise the targets, not the learning rate."""

from __future__ import annotations

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, fmt
from ..record import TrainingRecord
from ._signals import Signals

PROBLEM = "unscaled_targets"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    out = record.meta.get("output") or {}
    # one output and no class probabilities: the signature of a regression (a record without the
    # output's form, such as a Lightning metrics.csv, is not judged)
    if sig.head is None or out.get("features") != 1 or sig.classes is not None or record.meta.get("trivial_loss"):
        return None
    if sig.head < cfg.unscaled_target_loss:
        return None  # starts near 1
    if (sig.drop or 0.0) >= 0.9 and (sig.tail is None or sig.tail < cfg.unscaled_target_loss):
        return None  # learned its way down to a loss of standardised size regardless
    # (a loss that fell 90 % from 1e5 and still ends in the thousands is the targets' scale, not progress)
    severity = Severity.WARNING
    evidence = {"first_loss": sig.head, "last_loss": sig.tail, "drop": sig.drop}
    summary = (f"the loss started at {fmt(sig.head)} (at least {fmt(cfg.unscaled_target_loss)}) and ended at "
               f"{fmt(sig.tail)}: with standardised targets a regression's squared error starts near 1")
    return Diagnosis(PROBLEM, severity, summary, evidence, (
        Prescription("standardize_targets", "standardise the regression targets (subtract the training mean, divide by "
                     "the training std; undo it for predictions) rather than lowering the learning rate"),
        Prescription("normalize_inputs", "standardise the inputs as well, with the training split's statistics"),
    ))
