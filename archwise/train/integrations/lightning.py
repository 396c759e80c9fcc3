"""``ArchwiseCallback``: :class:`archwise.Monitor` as a Lightning callback.

Usage::

    import lightning as L
    from archwise.train.integrations.lightning import ArchwiseCallback

    cb = ArchwiseCallback(every=10, path="run.jsonl")
    trainer = L.Trainer(max_epochs=20, callbacks=[cb])
    trainer.fit(model, train_loader, val_loader)   # prints the diagnoses at the end
    cb.diagnoses            # list[archwise.Diagnosis]
    cb.monitor.record       # what was recorded; `archwise diagnose run.jsonl` reads the saved file

What it records and when:

* one step per optimizer step: with ``accumulate_grad_batches=k`` the ``k`` micro-batches form one
  step, whose loss is the mean of their losses (the loss ``training_step`` returned, undoing
  Lightning's ``1/k`` scaling);
* per-layer gradient statistics in ``on_before_optimizer_step``: the accumulated gradients after
  AMP unscaling and before Lightning's gradient clipping; update ratios after the step. Only the
  first optimizer (``trainer.optimizers[0]``) is watched;
* the step time split from Lightning's hooks: data (from the previous batch's end to
  ``on_train_batch_start``), forward (to ``on_before_backward``), backward (to
  ``on_after_backward``) and optimizer (``on_before_optimizer_step`` to ``on_train_batch_end``);
* one epoch per training epoch, read from ``trainer.callback_metrics`` once every hook of the epoch
  has run (so values logged in ``on_train_epoch_end`` count): ``train_loss_key`` (the ``_epoch``
  variant that ``on_step=True, on_epoch=True`` produces is preferred; a value logged per step only
  is not taken, and the epoch's mean step loss is used instead), ``val_loss_key``,
  ``train_metric_key`` and ``val_metric_key``. A validation value is used only for an epoch that
  ran validation; the sanity check is never recorded.

Hooks are removed in ``on_fit_end`` and ``on_exception`` (interrupts included); the record is then
saved to ``path`` (when given) and diagnosed. Under multi-process strategies (DDP) every process
runs the callback and the Monitor combines the ranks' numbers (see :mod:`archwise.train.monitor`);
only global rank 0 prints and saves. After an exception nothing is combined.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

try:
    from lightning.pytorch import Callback
except ImportError:  # pragma: no cover - the standalone package
    try:
        from pytorch_lightning import Callback
    except ImportError as err:
        raise ImportError("archwise.train.integrations.lightning needs Lightning; install it with "
                          "pip install 'archwise[lightning]'") from err

from ..monitor import Monitor, unwrap_optimizer
from . import _check_options, _dataset_len, _finish

__all__ = ["ArchwiseCallback"]

_PHASES = ("data", "forward", "backward", "optimizer")


class ArchwiseCallback(Callback):
    """Monitor a Lightning ``fit``; see the module docstring.

    Args:
        every: take per-layer statistics on every ``every``-th optimizer step.
        path: write the record as JSON lines there when training ends (also when it fails).
        n_train: the number of training examples (for the overfitting evidence); by default the
            length of the training dataset, when it has one.
        train_loss_key, val_loss_key, train_metric_key, val_metric_key: the names the module logs
            with ``self.log``; ``None`` to ignore one.
        metric_higher_is_better: whether the metric is an accuracy-like score (``False`` for an error).
        print_diagnoses: print the diagnoses when training ends.
        **monitor_options: passed to :class:`archwise.Monitor` (``window``, ``saturation_at``,
            ``update_ratio``).

    After ``fit``: ``callback.monitor`` (the :class:`~archwise.Monitor`) and ``callback.diagnoses``.
    """

    def __init__(self, every: int = 10, path: str | Path | None = None, *, n_train: int | None = None,
                 train_loss_key: str | None = "train_loss", val_loss_key: str | None = "val_loss",
                 train_metric_key: str | None = "train_acc", val_metric_key: str | None = "val_acc",
                 metric_higher_is_better: bool = True, print_diagnoses: bool = True, **monitor_options: Any) -> None:
        super().__init__()
        _check_options("ArchwiseCallback", every, monitor_options)
        self.every = every
        self.path = Path(path) if path is not None else None
        self.n_train = n_train
        self.train_loss_key, self.val_loss_key = train_loss_key, val_loss_key
        self.train_metric_key, self.val_metric_key = train_metric_key, val_metric_key
        self.metric_higher_is_better = metric_higher_is_better
        self.print_diagnoses = print_diagnoses
        self.monitor_options = monitor_options
        self.monitor: Monitor | None = None
        self.diagnoses: list | None = None
        self._reset()

    def _reset(self) -> None:
        self._stepped = False                 # the watched optimizer stepped in this accumulation window
        self._losses: list[torch.Tensor] = []  # the window's micro-batch losses
        self._epoch_losses: list[torch.Tensor] = []
        self._times = dict.fromkeys(_PHASES, 0.0)
        self._mark = time.perf_counter()
        self._t_opt: float | None = None
        self._pending: dict[str, Any] | None = None   # a finished epoch, recorded once its hooks have all run
        self._val_fresh = False
        self._finished = True

    # ---- lifecycle --------------------------------------------------------------------------------

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        self._close(trainer, save=False)
        self._reset()
        self.diagnoses = None
        optimizer = trainer.optimizers[0] if trainer.optimizers else None
        precision = getattr(trainer, "precision_plugin", None) or getattr(trainer.strategy, "precision_plugin", None)
        scaler = getattr(precision, "scaler", None)
        monitor = Monitor(pl_module, optimizer, self.every, hook_optimizer=False, n_train=self.n_train,
                          scaler=scaler, **self.monitor_options)
        monitor.attach()
        self.monitor = monitor
        self._finished = False

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        if self.monitor is not None and self.n_train is None:
            n = _dataset_len(getattr(trainer, "train_dataloader", None))
            if n is not None:
                self.monitor.record.meta["n_train"] = n

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        self._close(trainer)

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        if self.monitor is not None and not self._finished:
            self.monitor.detach(combine=False)   # under DDP the other ranks may never get here: combine nothing
        self._close(trainer)

    def teardown(self, trainer: Any, pl_module: Any, stage: str) -> None:
        # after on_fit_end / on_exception this finds nothing to do; it covers any exit path Lightning adds
        self._close(trainer)

    def _close(self, trainer: Any, save: bool = True) -> None:
        """Record the last epoch, remove every hook, save and diagnose; safe to call more than once."""
        monitor = self.monitor
        if monitor is None or self._finished:
            return
        self._finished = True
        try:
            self._flush_epoch(trainer)
        finally:
            monitor.detach()
        if not save:
            return
        self.diagnoses = _finish(monitor, self.path, self.print_diagnoses, getattr(trainer, "is_global_zero", True))

    # ---- steps ------------------------------------------------------------------------------------

    def _live(self, trainer: Any) -> bool:
        return self.monitor is not None and not self._finished and not getattr(trainer, "sanity_checking", False)

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        if not self._live(trainer):
            return
        self._flush_epoch(trainer)
        self._epoch_losses = []
        self._mark = time.perf_counter()

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        now = time.perf_counter()
        self._times["data"] += max(0.0, now - self._mark)
        self._mark = now

    def on_before_backward(self, trainer: Any, pl_module: Any, loss: Any) -> None:
        if trainer.training:
            now = time.perf_counter()
            self._times["forward"] += now - self._mark
            self._mark = now

    def on_after_backward(self, trainer: Any, pl_module: Any) -> None:
        if trainer.training:
            now = time.perf_counter()
            self._times["backward"] += now - self._mark
            self._mark = now

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        if not self._live(trainer) or self._stepped or unwrap_optimizer(optimizer) is not self.monitor.optimizer:
            return
        self._stepped = True
        self._t_opt = self._mark = time.perf_counter()
        self.monitor.before_optimizer_step()

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if not self._live(trainer):
            return
        loss = _loss_of(outputs)
        if loss is not None:
            if getattr(pl_module, "automatic_optimization", True):
                # Lightning returns the loss divided by accumulate_grad_batches (what it backpropagates)
                loss = loss * trainer.accumulate_grad_batches
            self._losses.append(loss)
        now = time.perf_counter()
        self._mark = now
        if not self._stepped:
            return  # accumulating: this batch ran no optimizer step
        if self._t_opt is not None:
            self._times["optimizer"] += now - self._t_opt
        monitor = self.monitor
        monitor.after_optimizer_step()
        step_loss = torch.stack([t.float() for t in self._losses]).mean() if self._losses else None
        if step_loss is not None:
            self._epoch_losses.append(step_loss)
        monitor.step(step_loss, times=self._times)
        self._losses, self._stepped, self._t_opt = [], False, None
        self._times = dict.fromkeys(_PHASES, 0.0)
        self._mark = time.perf_counter()

    # ---- epochs -----------------------------------------------------------------------------------

    def on_validation_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self._live(trainer):
            self._val_fresh = True

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        self._mark = time.perf_counter()   # validation inside an epoch is no data wait

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if not self._live(trainer):
            return
        # metrics logged in LightningModule.on_train_epoch_end are not there yet: read them at the
        # next epoch's start (or when fit ends)
        mean = torch.stack(self._epoch_losses).mean() if self._epoch_losses else None
        self._pending = {"mean_loss": mean, "val": self._val_fresh}
        self._val_fresh = False

    def _flush_epoch(self, trainer: Any) -> None:
        pending, self._pending = self._pending, None
        if pending is None or self.monitor is None:
            return
        metrics = dict(getattr(trainer, "callback_metrics", {}) or {})
        train_loss = _epoch_value(trainer, metrics, self.train_loss_key)
        if train_loss is None:
            train_loss = pending["mean_loss"]
        values = {"train_loss": train_loss,
                  "train_metric": _epoch_value(trainer, metrics, self.train_metric_key)}
        if pending["val"] or self._val_fresh:
            values["val_loss"] = _value(metrics, self.val_loss_key)
            values["val_metric"] = _value(metrics, self.val_metric_key)
        self.monitor.log_epoch(**values, metric_higher_is_better=self.metric_higher_is_better)


# ---- helpers ------------------------------------------------------------------------------------

def _loss_of(outputs: Any) -> torch.Tensor | None:
    if isinstance(outputs, Mapping):
        outputs = outputs.get("loss")
    if isinstance(outputs, torch.Tensor):
        loss = outputs.detach()
        return loss.float().mean() if loss.numel() != 1 else loss.reshape(())
    if isinstance(outputs, (int, float)) and not isinstance(outputs, bool):
        return torch.tensor(float(outputs))
    return None


def _value(metrics: Mapping[str, Any], key: str | None) -> Any:
    if not key:
        return None
    for name in (f"{key}_epoch", key):
        value = metrics.get(name)
        if value is not None:
            return value
    return None


def _epoch_value(trainer: Any, metrics: Mapping[str, Any], key: str | None) -> Any:
    """A training metric's epoch value: ``key_epoch``, or ``key`` unless it was logged per step only."""
    if not key:
        return None
    if metrics.get(f"{key}_epoch") is not None:
        return metrics[f"{key}_epoch"]
    if metrics.get(key) is None or _logged_per_step_only(trainer, key):
        return None
    return metrics[key]


def _logged_per_step_only(trainer: Any, key: str) -> bool:
    try:   # Lightning's result collection (internal; when it moves, a plain key is taken as it is)
        results = trainer.fit_loop.epoch_loop._results
        for metric in results.values():
            meta = getattr(metric, "meta", None)
            if getattr(meta, "name", None) == key:
                return bool(meta.on_step) and not bool(meta.on_epoch)
    except Exception:
        return False
    return False
