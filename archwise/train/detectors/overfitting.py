"""overfitting: validation loss climbing from its best while the training loss keeps falling, or a
train-val metric gap (the seed's problem 2).

The val loss must stay above its best in the last two epochs by more than ``overfit_val_rise``
(relative) and by more than twice its own median epoch-to-epoch change, so a noisy validation
curve is not read as a trend.
"""

from __future__ import annotations

import statistics

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, fmt
from ..record import TrainingRecord
from ._signals import Signals

PROBLEM = "overfitting"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    epochs = record.epochs
    if len(epochs) < cfg.min_epochs:
        return None
    reasons, evidence = [], {}
    val = [(e.epoch, e.val_loss, e.train_loss) for e in epochs if e.val_loss is not None]
    if len(val) >= cfg.min_epochs:
        best_epoch, best, train_at_best = min(val, key=lambda item: item[1])
        rise = min(v for _, v, _ in val[-2:]) - best
        # noise-aware: the rise must also beat the val curve's own epoch-to-epoch wobble
        noise = statistics.median(abs(b[1] - a[1]) for a, b in zip(val, val[1:]))
        risen = rise > cfg.overfit_val_rise * abs(best) and rise > 2 * noise and best_epoch < val[-2][0]
        train_falling = (train_at_best is None or val[-1][2] is None or val[-1][2] < train_at_best)
        if sig.trivial is not None:
            # material against the problem's own scale: a rise of a few hundredths of a nat from a tiny best is
            # confidence on a few samples, not a model that stopped generalising (guessing costs log C)
            risen = risen and rise > cfg.overfit_val_rise * sig.trivial
        if risen and train_falling:
            reasons.append(f"val loss rose from its best {fmt(best)} (epoch {best_epoch}) to {fmt(val[-1][1])} "
                           f"(epoch {val[-1][0]})" + (f" while train loss fell to {fmt(val[-1][2])}"
                                                     if val[-1][2] is not None else ""))
            evidence.update(best_epoch=best_epoch, best_val_loss=best, last_val_loss=val[-1][1],
                            last_train_loss=val[-1][2], val_noise=noise)
    metrics = [(e.epoch, e.train_metric, e.val_metric) for e in epochs
               if e.train_metric is not None and e.val_metric is not None]
    if metrics:
        epoch, train_m, val_m = metrics[-1]
        gap = (train_m - val_m) if record.metric_higher_is_better else (val_m - train_m)
        if gap >= cfg.overfit_gap:
            reasons.append(f"train metric {fmt(train_m)} vs val {fmt(val_m)} at epoch {epoch} "
                           f"(a {fmt(gap)} gap; threshold {fmt(cfg.overfit_gap)})")
            evidence.update(train_metric=train_m, val_metric=val_m, gap=gap)
    if not reasons:
        return None
    params, n_train = record.meta.get("trainable_params"), record.meta.get("n_train")
    if params and n_train:
        ratio = params / n_train
        evidence["params_per_sample"] = ratio
        capacity = (f"reduce capacity (fewer layers or channels): {params:,} parameters for {n_train:,} training "
                    f"samples is {fmt(ratio)} per sample" + (" (the seed's warning sign is above 1)" if ratio > 1 else ""))
    else:
        capacity = (f"reduce capacity (fewer layers or channels): the model has {params:,} parameters"
                    if params else "reduce capacity (fewer layers or channels)") + (
                    "; pass n_train= to compare with the data" if params else "")
    dropout = record.meta.get("dropout")
    wd = (record.meta.get("optimizer") or {}).get("weight_decay")
    reg = ("add or raise dropout" if dropout is None else "add dropout (the model has none)" if not dropout
           else f"raise dropout (now p={fmt(max(dropout))})")
    reg += (f" and weight decay (the optimizer's is {fmt(wd)}; try 1e-4 to 1e-2)" if wd is not None
            else " and weight decay")
    stop = evidence.get("best_epoch")
    prescriptions = (Prescription("reduce_capacity", capacity), Prescription("add_regularization", reg),
                     Prescription("augment_data", "augment the data (crops/flips for images, noise or mixup for "
                                  "others)"),
                     Prescription("more_data", "collect more data" + (f"; meanwhile keep the weights of epoch {stop} "
                                                                      "(early stopping)" if stop is not None else "")))
    return Diagnosis(PROBLEM, Severity.WARNING, "; ".join(reasons), evidence, prescriptions)
