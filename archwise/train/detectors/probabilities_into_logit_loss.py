"""probabilities_into_logit_loss: the model ends in a softmax and its probabilities go into a loss
that applies log-softmax itself (``nn.CrossEntropyLoss``), so the loss has a floor far above zero.

With probabilities p fed in, cross-entropy is ``-log softmax(p)_y``; its lowest value, at p one-hot
on the right class, is ``log(1 + (C - 1) / e)``: 1.46 for 10 classes, 0.31 for 2. A loss stuck at
that floor while accuracy is high is this bug, not underfitting.

The binary form: one output in [0, 1] (a sigmoid at the end) into ``nn.BCEWithLogitsLoss``, which
applies the sigmoid again: ``log(1 + e^-p)`` is at least log(1 + 1/e) = 0.313 for a positive and
log 2 for a negative. A right ``nn.BCELoss`` on the same outputs goes far below 0.313 once the
classifier is accurate, so the binary rule asks for a train metric of 0.9 or more and a loss that
never went below the floor on any step.
"""

from __future__ import annotations

import math

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, fmt, pct
from ..record import TrainingRecord
from ._signals import Signals

PROBLEM = "probabilities_into_logit_loss"


def floor(classes: int) -> float:
    """Cross-entropy's lowest value when its inputs are probabilities, for ``classes`` classes.

    Example:
        >>> round(floor(10), 3), round(floor(2), 3)
        (1.461, 0.313)
    """
    return math.log(1 + (classes - 1) / math.e)


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    out = record.meta.get("output") or {}
    share = out.get("probability_rows")
    classes = out.get("features")
    if share is None or share < 0.99 or not isinstance(classes, int) or classes < 1 or sig.tail is None:
        return None
    binary = classes == 1
    low = floor(2 if binary else classes)
    if sig.tail < 0.9 * low:
        return None  # below the floor: the loss is not cross-entropy on these outputs (NLL on log-probs, MSE, …)
    metric = next((e.train_metric for e in reversed(record.epochs) if e.train_metric is not None), None)
    if binary and (sig.classes is None or metric is None or metric < 0.9 or min(sig.losses) < 0.9 * low):
        return None  # a sigmoid into BCELoss (right) reaches below the floor once it is accurate
    evidence = {"probability_rows": share, "classes": classes, "loss_floor": low, "last_loss": sig.tail,
                "train_metric": metric}
    acc = f" while the train metric is {pct(metric)}" if metric is not None else ""
    if binary:
        summary = (f"the model's one output is a probability ({pct(share)} of rows in [0, 1]) and the loss never went "
                   f"below {fmt(min(sig.losses))}, at or above {fmt(low)}, the floor of BCEWithLogitsLoss on "
                   f"probabilities{acc}")
    else:
        summary = (f"the model's outputs are probabilities ({pct(share)} of rows in [0, 1] summing to 1) and the loss "
                   f"stays at {fmt(sig.tail)}, at or above {fmt(low)}, the floor of cross-entropy on probabilities for "
                   f"{classes} classes{acc}")
    return Diagnosis(PROBLEM, Severity.WARNING, summary, evidence, (
        Prescription("check_loss_inputs", "check what the loss expects: nn.BCEWithLogitsLoss takes logits and applies "
                     "the sigmoid itself; return the logit (drop the final Sigmoid, apply it only for predictions), or "
                     "keep the sigmoid and use nn.BCELoss (less stable)") if binary else
        Prescription("check_loss_inputs", "check what the loss expects: nn.CrossEntropyLoss takes logits and applies "
                     "log-softmax itself; return the logits (drop the final Softmax, apply it only for predictions), "
                     "or feed log-probabilities (LogSoftmax) to nn.NLLLoss"),
    ))
