"""Read a PyTorch Lightning ``CSVLogger`` ``metrics.csv`` as a :class:`~archwise.train.record.TrainingRecord`.

Lightning writes one row per ``log_metrics`` call, with the columns ``epoch`` and ``step`` and one
column per logged name (sorted), so each row fills only a few cells::

    epoch,lr-Adam,step,train_acc,train_loss_epoch,train_loss_step,val_acc,val_loss
    ,0.01,0,,,,,                          <- LearningRateMonitor: no epoch
    0,,0,,,0.777,,                        <- a training step
    0,,3,,,,0.527,0.736                   <- the end of validation
    0,,3,0.422,0.828,,,                   <- the end of the training epoch

How the columns are read (``meta["columns"]`` records which ones were used):

* A column is **epoch-level** when its name ends in ``_epoch`` or starts with ``val``, ``valid``
  or ``test``; a row is an epoch-level row when it has a value in such a column. A name with no
  suffix (``train_loss``, ``train_acc``, ``loss``: what ``self.log`` writes for ``on_step`` *or*
  ``on_epoch`` alone) counts as epoch-level on epoch-level rows and as step-level elsewhere.
* **Steps** (one :class:`StepRecord` per training row, ``step`` = Lightning's global step): the
  loss from ``train_loss_step``, else from the first of ``train_loss``, ``training_loss``, ``loss``
  on rows that are not epoch-level. The learning rate comes from the first ``lr-*`` / ``lr`` column
  (``LearningRateMonitor``), carried forward to later steps.
* **Epochs** (one :class:`EpochRecord` per ``epoch`` value, its epoch-level rows merged, the last
  value winning; ``step`` = the largest step of the epoch's rows): ``train_loss`` from
  ``train_loss_epoch``, else a bare ``train_loss`` / ``training_loss`` / ``loss`` on epoch-level
  rows; ``val_loss`` from ``val_loss`` / ``val_loss_epoch`` / ``valid_loss`` / ``validation_loss``;
  ``train_metric`` / ``val_metric`` from the first ``train…`` / ``val…`` column (``test…`` when there
  is no ``val…`` one) whose name contains ``acc``, ``f1`` or ``auc`` (the ``_epoch`` form preferred;
  all higher-is-better); every other epoch-level column goes to ``extra`` under its own name.

The record has no layers (a CSV has no per-layer statistics), so the gradient and activation
detectors have nothing to read; the loss, overfitting and underfitting detectors work as usual.
Empty cells are missing values; ``nan`` and ``inf`` are kept as they are.

Example:
    >>> text = "epoch,step,train_loss_step,val_loss\\n0,0,2.3,\\n0,0,,2.1\\n"
    >>> rec = read_metrics_csv("metrics.csv", text)
    >>> [(s.step, s.loss) for s in rec.steps], [(e.epoch, e.val_loss) for e in rec.epochs]
    ([(0, 2.3)], [(0, 2.1)])
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from ..errors import ArchwiseError
from .record import EpochRecord, StepRecord, TrainingRecord

__all__ = ["read_metrics_csv"]

_STEP_LOSS = ("train_loss_step",)
_BARE_TRAIN_LOSS = ("train_loss", "training_loss", "loss")
_VAL_LOSS = ("val_loss", "val_loss_epoch", "valid_loss", "valid_loss_epoch", "validation_loss",
             "validation_loss_epoch")
_METRIC_WORDS = ("acc", "f1", "auc")
_VAL_PREFIXES = ("val", "valid", "test")
_RESERVED = {"epoch", "step", "type", "extra", "train_loss", "val_loss", "train_metric", "val_metric"}
_EXPECTED = ("expected a Lightning CSVLogger metrics.csv (lightning_logs/version_N/metrics.csv) with an 'epoch' "
             "and a 'step' column")


def _epoch_level(name: str) -> bool:
    low = name.lower()
    return low.endswith("_epoch") or low.startswith(_VAL_PREFIXES)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _first(candidates: tuple[str, ...], columns: list[str]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    return next((lowered[c] for c in candidates if c in lowered), None)


def _metric_column(columns: list[str], *prefix_groups: tuple[str, ...]) -> str | None:
    """The first column with a prefix of the first group that has one, naming a higher-is-better metric
    (``_epoch`` form first): ``val_acc`` before ``test_acc`` even though the header sorts ``test_`` first."""
    for prefixes in prefix_groups:
        found = [c for c in columns if c.lower().startswith(prefixes) and not c.lower().endswith("_step")
                 and any(w in c.lower() for w in _METRIC_WORDS)]
        found.sort(key=lambda c: not c.lower().endswith("_epoch"))  # stable: header order within each group
        if found:
            return found[0]
    return None


def read_metrics_csv(path: str | Path, text: str) -> TrainingRecord:
    """Build a record from the text of a ``metrics.csv`` (see the module docstring for the mapping)."""
    source = str(path)
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    for header in reader:
        if any(cell.strip() for cell in header):
            break
    else:
        header = None
    if not header:
        raise ArchwiseError(f"{source} has no header row; {_EXPECTED}")
    header = [cell.strip() for cell in header]
    if all(_is_number(cell) for cell in header if cell):
        raise ArchwiseError(f"{source} line {reader.line_num} is a row of numbers, not a header; {_EXPECTED}; "
                            "is the header line missing?")
    missing = [name for name in ("epoch", "step") if name not in header]
    if missing:
        shown = ", ".join(header[:8]) + (", …" if len(header) > 8 else "")
        raise ArchwiseError(f"{source} has no {' or '.join(repr(m) for m in missing)} column; {_EXPECTED}; found the "
                            f"columns {shown}")
    if not any("loss" in name.lower() for name in header):
        raise ArchwiseError(f"{source} has no loss column (columns: {', '.join(header)}); expected one such as "
                            "train_loss, train_loss_step or val_loss; log the loss with self.log(\"train_loss\", "
                            "loss) in training_step")
    if len(set(header)) != len(header):
        twice = sorted({name for name in header if header.count(name) > 1})
        raise ArchwiseError(f"{source} names the column {twice[0]!r} twice in its header; expected each logged name "
                            "once, as CSVLogger writes it")

    named = [c for c in header if c not in ("epoch", "step")]
    step_loss = _first(_STEP_LOSS, named)
    bare_loss = _first(_BARE_TRAIN_LOSS, named)
    epoch_train = _first(("train_loss_epoch", "training_loss_epoch", "loss_epoch"), named) or bare_loss
    val_loss = _first(_VAL_LOSS, named)
    train_metric = _metric_column(named, ("train",))
    val_metric = _metric_column(named, ("val", "valid"), ("test",))
    lr_col = next((c for c in named if c.lower() == "lr" or c.lower().startswith("lr-")), None)
    step_source = step_loss or bare_loss
    used = {step_source, epoch_train, val_loss, train_metric, val_metric, lr_col} - {None}

    steps: list[StepRecord] = []
    epochs: dict[int, EpochRecord] = {}
    lr_at: list[tuple[int, float]] = []   # (step, lr) in file order
    previous_step = -1

    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise ArchwiseError(f"{source} line {line} has {len(row)} cells; expected at most {len(header)}, one per "
                                "header column; the file may have been written by two runs at once: fix or delete "
                                "that line")
        values: dict[str, float] = {}
        for name, cell in zip(header, row):
            cell = cell.strip()
            if not cell:
                continue
            try:
                values[name] = float(cell)
            except ValueError:
                raise ArchwiseError(f"{source} line {line}, column {name!r}: {cell[:40]!r} is not a number; "
                                    "expected numbers or empty cells, as CSVLogger writes them; fix or delete "
                                    "that line") from None
        step_value = values.pop("step", None)
        epoch_value = values.pop("epoch", None)
        for name, value in (("step", step_value), ("epoch", epoch_value)):
            if value is not None and (not math.isfinite(value) or value != int(value) or value < 0):
                raise ArchwiseError(f"{source} line {line}, column {name!r}: {value!r} is not a whole number ≥ 0; "
                                    "expected Lightning's counters; fix or delete that line")
        step = int(step_value) if step_value is not None else previous_step + 1
        previous_step = step
        if lr_col is not None and lr_col in values:
            lr_at.append((step, values[lr_col]))
        epoch_row = any(_epoch_level(name) for name in values)
        if not epoch_row:
            loss = values.get(step_loss) if step_loss is not None else None
            if loss is None and bare_loss is not None:
                loss = values.get(bare_loss)
            if loss is not None:
                steps.append(StepRecord(step=step, loss=loss, opt_step=step))
            continue
        if epoch_value is None:
            continue  # an epoch-level value without an epoch: nothing to attach it to
        epoch = int(epoch_value)
        rec = epochs.setdefault(epoch, EpochRecord(epoch=epoch, step=step))
        rec.step = max(rec.step, step)
        for name, value in values.items():
            if name == epoch_train:
                rec.train_loss = value
            elif name == val_loss:
                rec.val_loss = value
            elif name == train_metric:
                rec.train_metric = value
            elif name == val_metric:
                rec.val_metric = value
            elif name not in used and name not in _RESERVED and not name.lower().endswith("_step"):
                rec.extra[name] = value

    # the learning rate a step ran with: the last one logged at or before it
    if lr_at:
        lr_at.sort(key=lambda item: item[0])
        j, current = 0, None
        for s in sorted(steps, key=lambda s: s.step):
            while j < len(lr_at) and lr_at[j][0] <= s.step:
                current = lr_at[j][1]
                j += 1
            s.lr = current if current is not None else lr_at[0][1]

    columns = {"step_loss": step_source, "train_loss": epoch_train, "val_loss": val_loss,
               "train_metric": train_metric, "val_metric": val_metric, "lr": lr_col}
    meta: dict = {"every": 1, "source_format": "lightning_csv",
                  "columns": {k: v for k, v in columns.items() if v is not None}}
    if train_metric or val_metric:
        meta["metric_higher_is_better"] = True
    return TrainingRecord(meta=meta, steps=steps, epochs=[epochs[k] for k in sorted(epochs)], source=source)
