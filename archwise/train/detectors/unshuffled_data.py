"""unshuffled_data: the training loss swings in step with the batch order, epoch after epoch: the
data is sorted (by class, by time, by source) and not shuffled, so each batch shows one part of it
and the model chases whichever part it sees."""

from __future__ import annotations

import statistics

import numpy as np

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, fmt
from ..record import TrainingRecord
from ._signals import Signals

PROBLEM = "unshuffled_data"


def period(record: TrainingRecord) -> int | None:
    """Steps per epoch, when every epoch had the same number of steps."""
    ends = [e.step for e in record.epochs]
    gaps = {b - a for a, b in zip(ends, ends[1:])}
    return gaps.pop() if len(gaps) == 1 else None


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    p = period(record)
    if p is None or p < 8 or len(record.epochs) < cfg.min_epochs or sig.nonfinite_steps:
        return None
    losses = np.asarray(sig.losses, dtype=np.float64)
    n = min(len(losses) // p, 6)  # up to the last six epochs: five epoch-to-epoch pairs
    if n < 3:
        return None
    # each epoch with its own linear trend taken out, and its last step left out (a last, smaller batch
    # differs by its size alone): what is left is the loss's pattern within an epoch, noise when shuffled
    epochs = [losses[len(losses) - (k + 1) * p:len(losses) - k * p][:-1] for k in reversed(range(n))]
    pos = np.arange(p - 1, dtype=np.float64)
    resid = [e - np.polyval(np.polyfit(pos, e, 1), pos) for e in epochs]
    pairs = [(a, b) for a, b in zip(resid, resid[1:]) if a.std() > 0 and b.std() > 0]
    if not pairs:
        return None
    corr = float(np.mean([np.corrcoef(a, b)[0, 1] for a, b in pairs]))  # same position, consecutive epochs
    level = statistics.median(losses[-n * p:])
    swing = float(np.concatenate(resid).std() / max(abs(level), 1e-12))
    if corr < cfg.unshuffled_corr or swing < cfg.unshuffled_swing:
        return None
    evidence = {"steps_per_epoch": p, "epoch_to_epoch_correlation": corr, "swing": swing}
    summary = (f"the loss repeats its pattern every epoch: at each position of an epoch it is what it was at that "
               f"position one epoch before (correlation {fmt(corr)} at a lag of {p} steps, each epoch's trend "
               f"taken out) and swings by {fmt(100 * swing)}% of its level: the batches come in the same, sorted order every epoch")
    return Diagnosis(PROBLEM, Severity.WARNING, summary, evidence, (
        Prescription("shuffle_data", "shuffle the training data every epoch (DataLoader(..., shuffle=True), or a new "
                     "torch.randperm each epoch); data sorted by class or source gives one-sided batches"),
    ))
