"""divergence: the smoothed loss climbed well above its own minimum and gave back most of its progress."""

from __future__ import annotations

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, fmt
from ..record import TrainingRecord
from ._advice import clip_gradients, lower_learning_rate
from ._signals import Signals

PROBLEM = "divergence"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    if not sig.enough or sig.best is None:
        return None
    end = sig.smooth[-1]
    rise = end - sig.best
    progress = max(sig.head - sig.best, 0.0)
    if not (end > sig.best + (cfg.divergence_factor - 1) * abs(sig.best) and rise >= 0.5 * progress and rise > 0):
        return None
    evidence = {"best_loss": sig.best, "best_step": sig.best_step, "final_loss": end, "first_loss": sig.head,
                "factor": end / sig.best if sig.best > 0 else None, "lr": sig.lr()}
    summary = (f"the smoothed loss rose from its minimum {fmt(sig.best)} at step {sig.best_step} to {fmt(end)} "
               f"at the end (it started at {fmt(sig.head)})")
    prescriptions = (lower_learning_rate(sig, " or add warmup"), clip_gradients(sig),
                     Prescription("learning_rate_schedule", "decay the learning rate (cosine or step decay) so the "
                                  f"late steps are smaller; the loss was lowest at step {sig.best_step}"),
                     Prescription("check_data_and_loss", "check for bad batches (outliers, mislabeled data) near the "
                                  "steps where the loss rose"))
    return Diagnosis(PROBLEM, Severity.WARNING, summary, evidence, prescriptions)
