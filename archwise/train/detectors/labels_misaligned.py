"""labels_misaligned: the training set is fitted while validation stays at chance from the first
epoch: the labels do not belong to the inputs in one of the splits (a shuffle applied to the inputs
and not the labels, an off-by-one join, the wrong label column). A data bug, not overfitting:
overfitting first improves on validation, then worsens."""

from __future__ import annotations

import statistics

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, fmt, pct
from ..record import TrainingRecord
from ._signals import Signals

PROBLEM = "labels_misaligned"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    classes = sig.classes
    epochs = [e for e in record.epochs if e.train_metric is not None and e.val_metric is not None]
    if classes is None or len(epochs) < cfg.min_epochs:
        return None
    chance = 1.0 / classes
    best_val = max(e.val_metric for e in epochs)
    typical_val = statistics.median(e.val_metric for e in epochs)
    train = epochs[-1].train_metric
    # training a fifth of the way from chance to perfect while validation never got a tenth of the way
    if train < chance + 0.2 * (1 - chance):
        return None
    at_chance = best_val <= chance + 0.1 * (1 - chance)
    # or, on a small or imbalanced validation set (where predicting the majority class beats 1/C): the val
    # loss never got far below a trivial guess while the train loss fell far below it
    val_losses = [e.val_loss for e in record.epochs if e.val_loss is not None]
    train_loss = next((e.train_loss for e in reversed(record.epochs) if e.train_loss is not None), None)
    trivial = sig.trivial
    no_val_progress = (bool(val_losses) and trivial is not None and train_loss is not None
                       and min(val_losses) >= cfg.misaligned_val_loss * trivial and train_loss < 0.5 * trivial
                       # ... and validation keeps less than half of what training gained over chance
                       and typical_val - chance < 0.5 * (train - chance))
    if not (at_chance or no_val_progress):
        return None
    evidence = {"train_metric": train, "best_val_metric": best_val, "median_val_metric": typical_val,
                "chance": chance, "classes": classes}
    if at_chance:
        summary = (f"the train metric reached {pct(train)} while the validation metric never passed {pct(best_val)}, "
                   f"chance level for {classes} classes being {pct(chance)}: the model learns something that does "
                   "not carry over at all")
    else:
        evidence.update(best_val_loss=min(val_losses), train_loss=train_loss, trivial_loss=trivial)
        summary = (f"the train loss fell to {fmt(train_loss)} while the val loss never went below {fmt(min(val_losses))}"
                   f" (a trivial predictor's is {fmt(trivial)}; the median validation metric is "
                   f"{pct(typical_val)}): what the model learns does not carry over")
    return Diagnosis(PROBLEM, Severity.WARNING, summary, evidence, (
        Prescription("check_data_pipeline", "check the data pipeline: that each split's labels belong to its inputs "
                     "(a shuffle or sort applied to the inputs and not the labels, a misaligned join, the wrong "
                     "label column), and that the validation inputs are preprocessed like the training ones; print a "
                     "few validation samples with their labels"),
        Prescription("reduce_capacity", "only once the data is right: memorising the training labels is what a "
                     "large model does when the labels carry no signal"),
    ))
