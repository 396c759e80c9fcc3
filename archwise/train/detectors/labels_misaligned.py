"""labels_misaligned: the training set is fitted while validation stays at chance from the first
epoch: the labels do not belong to the inputs in one of the splits (a shuffle applied to the inputs
and not the labels, an off-by-one join, the wrong label column). A data bug, not overfitting:
overfitting first improves on validation, then worsens."""

from __future__ import annotations

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, pct
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
    train = epochs[-1].train_metric
    # training a fifth of the way from chance to perfect while validation never got a tenth of the way
    if train < chance + 0.2 * (1 - chance) or best_val > chance + 0.1 * (1 - chance):
        return None
    evidence = {"train_metric": train, "best_val_metric": best_val, "chance": chance, "classes": classes}
    summary = (f"the train metric reached {pct(train)} while the validation metric never passed {pct(best_val)}, "
               f"chance level for {classes} classes being {pct(chance)}: the model learns something that does not "
               "carry over at all")
    return Diagnosis(PROBLEM, Severity.WARNING, summary, evidence, (
        Prescription("check_data_pipeline", "check the data pipeline: that each split's labels belong to its inputs "
                     "(a shuffle or sort applied to the inputs and not the labels, a misaligned join, the wrong "
                     "label column), and that the validation inputs are preprocessed like the training ones; print a "
                     "few validation samples with their labels"),
        Prescription("reduce_capacity", "only once the data is right: memorising the training labels is what a "
                     "large model does when the labels carry no signal"),
    ))
