"""underfitting: train and val both poor and close together (the seed's problem 3)."""

from __future__ import annotations

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, fmt
from ..record import TrainingRecord
from ._advice import by_evidence, frozen_words, weighted_depth
from ._signals import NORM_TYPES, Signals

PROBLEM = "underfitting"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    epochs = record.epochs
    train = [e.train_loss for e in epochs if e.train_loss is not None]
    fall = fall_per_epoch(train)
    # two epochs are enough when the loss was still in its steep descent: a run stopped early
    if len(epochs) < cfg.min_epochs and not (len(epochs) >= 2 and fall is not None and fall >= cfg.steep_fall):
        return None
    last = epochs[-1]
    evidence: dict = {}
    low = None
    if last.train_metric is not None and record.metric_higher_is_better:
        low = last.train_metric < cfg.underfit_metric
        evidence["train_metric"] = last.train_metric
        level = f"train metric {fmt(last.train_metric)} (below {fmt(cfg.underfit_metric)})"
        if last.val_metric is not None:
            evidence["val_metric"] = last.val_metric
            if last.train_metric - last.val_metric >= cfg.overfit_gap:
                return None
            level += f", val {fmt(last.val_metric)}"
    else:
        first_loss = sig.head if sig.head is not None else epochs[0].train_loss
        end_loss = sig.tail if sig.tail is not None else last.train_loss
        if first_loss is None or end_loss is None or first_loss <= 0:
            return None
        drop = (first_loss - end_loss) / first_loss
        low = drop < cfg.underfit_drop
        evidence.update(first_loss=first_loss, last_loss=end_loss, drop=drop)
        level = (f"the training loss fell only {fmt(100 * drop)}% ({fmt(first_loss)} → {fmt(end_loss)}; "
                 f"below {fmt(100 * cfg.underfit_drop)}% counts as underfitting)")
    if not low:
        return None
    if "val_metric" not in evidence and last.val_loss is not None and last.train_loss is not None and last.train_loss > 0:
        gap = (last.val_loss - last.train_loss) / last.train_loss
        evidence["val_train_gap"] = gap
        if gap > cfg.underfit_gap:
            return None  # a real gap: overfitting's territory, not this
    span = min(3, len(train))
    if fall is not None:
        evidence["train_loss_fall_per_epoch"] = fall
        longer = (f"train longer: the training loss still fell {fmt(100 * fall)}% per epoch over the last {span} "
                  "epochs" if fall > cfg.still_falling else
                  f"train longer only if it still improves: the training loss changed {fmt(100 * fall)}% per "
                  f"epoch over the last {span} epochs, a plateau")
    else:
        longer = "train longer (more epochs)"
    params = record.meta.get("trainable_params")
    depth = weighted_depth(record)
    dropout = record.meta.get("dropout") or []
    wd = (record.meta.get("optimizer") or {}).get("weight_decay")
    reg_parts = ([f"dropout p={fmt(max(dropout))}"] if dropout else []) + ([f"weight decay {fmt(wd)}"] if wd else [])
    reg = ("reduce regularization: lower " + " and ".join(reg_parts) if reg_parts
           else "reduce regularization (there is no dropout or weight decay to lower)")
    lr = sig.lr()
    typical = sig.typical_update_ratio()
    lr_text = (f"check the learning rate (too low?): it is {fmt(lr)}" if lr else "check the learning rate (too low?)")
    if typical is not None:
        lr_text += (f"; updates are {fmt(typical)} of the weights (healthy ≈ 1e-3)" if typical > 0
                    else "; the weights did not change")
    still_falling = fall is not None and fall > cfg.still_falling
    capacity = Prescription("increase_capacity", f"increase capacity (more layers or channels): the model has "
                            f"{depth} weighted layer{'s' if depth != 1 else ''}"
                            + (f" and {params:,} parameters" if params else "")
                            + ("; the training loss has stopped falling, so more epochs will not do it"
                               if not still_falling and fall is not None else ""))
    frozen = frozen_words(record)
    narrow = bottleneck(record, sig.classes)
    if narrow:
        capacity = Prescription("increase_capacity", f"increase capacity: {narrow}, a bottleneck no amount of training "
                                "gets past" + (f"; the model has {params:,} parameters" if params else ""))
    vanishing = sig.vanishing
    # tiny updates point at the learning rate only when the gradients reach every layer
    raise_lr = typical is not None and 0 < typical < cfg.tiny_update and not vanishing
    lr_fix = (Prescription("raise_learning_rate", f"raise the learning rate 10-100×: it is {fmt(lr)}; updates are "
                           f"only {fmt(typical)} of the weights (healthy ≈ 1e-3)" if lr else
                           f"raise the learning rate 10-100×: updates are only {fmt(typical)} of the weights")
              if raise_lr else Prescription("check_learning_rate", lr_text))
    # by evidence: a frozen model, steps far too small, a loss still falling (then more epochs), and
    # otherwise capacity before regularisation (the seed's order for a plateau)
    longer_fix = Prescription("train_longer", longer)
    prescriptions = by_evidence([(frozen is not None, Prescription("increase_trainable_capacity", frozen or "")),
                                 (raise_lr, lr_fix), (narrow is not None, capacity), (still_falling, longer_fix)],
                                [capacity, Prescription("reduce_regularization", reg), lr_fix, longer_fix])
    summary = f"train and val both poor and close: {level}"
    ceiling = _ceiling(record, cfg, sig, evidence, params, still_falling, frozen, raise_lr, narrow)
    if ceiling:
        # a model with room to spare that stopped improving: the data's ceiling (label noise, features that do
        # not determine the label) more likely than too little capacity; noted, not warned
        return Diagnosis(PROBLEM, Severity.INFO, f"{summary}; {ceiling}", evidence, (
            Prescription("check_label_noise", "check the labels: look at the training samples with the highest loss "
                         "and count how many are mislabelled; a cleaner label set (or a noise-robust loss) lifts the "
                         "ceiling, and a strong simple baseline (archwise ladder) shows what the features allow"),
            *prescriptions))
    if prescriptions[0].action == "train_longer" and len(epochs) > cfg.short_run and fall < cfg.steep_fall:
        # a long run still improving a few percent an epoch is converging slowly, not failing: worth knowing,
        # not a warning (a short run, or one stopped in its steep descent, is what "train longer" fixes)
        return Diagnosis(PROBLEM, Severity.INFO, f"{summary}; still improving {fmt(100 * fall)}% per epoch after "
                         f"{len(epochs)} epochs: converging slowly rather than failing", evidence, prescriptions)
    return Diagnosis(PROBLEM, Severity.WARNING, summary, evidence, prescriptions)


def fall_per_epoch(train: list[float]) -> float | None:
    """How much the epoch training loss fell per epoch over the last (up to) 3 epochs, relative to the first
    of them (None with fewer than 2 epochs or a non-positive loss).

    Example:
        >>> round(fall_per_epoch([1.0, 0.9, 0.8, 0.7]), 3), fall_per_epoch([1.0])
        (0.111, None)
    """
    span = min(3, len(train))
    if span < 2 or train[-span] <= 0:
        return None
    return (train[-span] - train[-1]) / train[-span] / (span - 1)


def bottleneck(record: TrainingRecord, classes: int | None) -> str | None:
    """A hidden layer with fewer outputs than the classes (the last weighted layer is the output)."""
    weighted = [layer for layer in record.layers if layer.type not in NORM_TYPES and layer.fan_out]
    if not classes or len(weighted) < 2:
        return None
    narrow = min(weighted[:-1], key=lambda layer: layer.fan_out)
    if narrow.fan_out >= classes:
        return None
    return f"{narrow.name} has {narrow.fan_out} output{'s' if narrow.fan_out != 1 else ''} for {classes} classes"


def _ceiling(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals, evidence: dict, params: int | None,
             still_falling: bool, frozen: str | None, raise_lr: bool, narrow: str | None) -> str | None:
    """Why this plateau is more likely the data's ceiling than too small a model, or None. Never when
    the gradients vanish (the model cannot learn: not a ceiling) or the train metric is at chance (a
    data set whose labels carry no signal at all is far rarer than a network that learned nothing)."""
    if frozen or raise_lr or narrow or sig.vanishing:
        return None
    train_m, classes = evidence.get("train_metric"), sig.classes
    if train_m is not None and classes and train_m <= 1 / classes + 0.1 * (1 - 1 / classes):
        return None
    train_m, val_m = evidence.get("train_metric"), evidence.get("val_metric")
    if train_m is not None and val_m is not None and val_m - train_m >= cfg.overfit_gap:
        return (f"but validation scores {fmt(val_m - train_m)} above training: the model generalises beyond what it "
                "fits, so the training labels are harder than the validation ones (label noise in the training set, "
                "or the train metric taken with dropout or augmentation on), which more capacity will not fix")
    if still_falling:
        return None
    n_train = record.meta.get("n_train")
    if params and n_train and params / n_train >= cfg.ample_capacity:
        evidence["params_per_sample"] = params / n_train
        return (f"but the model has {fmt(params / n_train)} trainable parameters per training sample and the loss "
                "has stopped falling: capacity is not what limits it (a label-noise or data ceiling?)")
    return None
