"""``ArchwiseTrainerCallback``: :class:`archwise.Monitor` as a ``transformers`` ``TrainerCallback``.

Usage::

    from transformers import Trainer, TrainingArguments
    from archwise.train.integrations.hf import ArchwiseTrainerCallback

    cb = ArchwiseTrainerCallback(every=10, path="run.jsonl")
    trainer = Trainer(model=model, args=TrainingArguments(..., eval_strategy="epoch"),
                      train_dataset=train, eval_dataset=val, callbacks=[cb])
    with cb:               # optional: removes the hooks even if train() raises
        trainer.train()    # prints the diagnoses at the end
    cb.diagnoses           # list[archwise.Diagnosis]

What it records and when:

* one step per optimizer step (``state.global_step``). The Trainer does not hand the loss to
  callbacks, so a forward hook on the model reads ``output.loss`` (a ``ModelOutput`` or a dict
  with ``"loss"``) on training forwards; a step's loss combines its micro-batches as the Trainer's
  logged ``loss`` does: their mean, or their sum when the model normalised each by the whole
  step's ``num_items_in_batch``. A custom ``compute_loss_func`` or label smoothing, where the
  model returns no loss, leaves the steps without a loss;
* per-layer gradient statistics in ``on_pre_optimizer_step``, and update ratios in
  ``on_optimizer_step``. The Trainer calls ``on_pre_optimizer_step`` after it clipped the
  gradients (``max_grad_norm``, 1.0 by default), so the gradient norms are those the optimizer
  stepped with: with clipping on, their total is at most ``max_grad_norm`` (kept in the record's
  meta as ``max_grad_norm``); set ``max_grad_norm=0`` to record the raw gradients;
* the step time split by the monitor's own hooks on the model (data, forward, backward, optimizer);
* one epoch per training epoch: the mean of its step losses, and the ``eval_loss`` (and
  ``val_metric_key``) of an evaluation that ran during that epoch or right after it.

The Trainer has no exception hook: hooks are removed in ``on_train_end``; if ``train()`` raises,
use the callback as a context manager as above, or call :meth:`close` yourself (it is idempotent;
the next ``on_train_begin`` also removes hooks left behind).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback

from ...errors import ArchwiseError
from ..monitor import Monitor
from . import _check_options, _dataset_len, _finish

__all__ = ["ArchwiseTrainerCallback"]


class ArchwiseTrainerCallback(TrainerCallback):
    """Monitor a ``transformers.Trainer`` run; see the module docstring.

    Args:
        every: take per-layer statistics on every ``every``-th optimizer step.
        path: write the record as JSON lines there when training ends (or at :meth:`close`).
        n_train: the number of training examples; by default the training dataset's length.
        val_metric_key: the evaluation metric recorded as the epoch's validation metric (when the
            ``compute_metrics`` function reports it); ``None`` for none.
        metric_higher_is_better: whether that metric is accuracy-like (``False`` for an error).
        print_diagnoses: print the diagnoses when training ends.
        **monitor_options: passed to :class:`archwise.Monitor` (``window``, ``saturation_at``,
            ``update_ratio``).

    After ``train()``: ``callback.monitor`` (the :class:`~archwise.Monitor`) and ``callback.diagnoses``.
    """

    def __init__(self, every: int = 10, path: str | Path | None = None, *, n_train: int | None = None,
                 val_metric_key: str | None = "eval_accuracy", metric_higher_is_better: bool = True,
                 print_diagnoses: bool = True, **monitor_options: Any) -> None:
        _check_options("ArchwiseTrainerCallback", every, monitor_options)
        self.every = every
        self.path = Path(path) if path is not None else None
        self.n_train = n_train
        self.val_metric_key = val_metric_key
        self.metric_higher_is_better = metric_higher_is_better
        self.print_diagnoses = print_diagnoses
        self.monitor_options = monitor_options
        self.monitor: Monitor | None = None
        self.diagnoses: list | None = None
        self._loss_handle: Any = None
        self._main_process = True
        self._reset()

    def _reset(self) -> None:
        self._micro: list[torch.Tensor] = []   # this step's micro-batch losses
        self._summed = False                    # ... normalised by the whole step's item count: add them
        self._epoch_losses: list[torch.Tensor] = []
        self._pending = False                   # an epoch ended and is not recorded yet (it waits for its eval)
        self._pending_loss: torch.Tensor | None = None
        self._val: dict[str, float | None] | None = None            # an evaluation since the last epoch record

    # ---- lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> ArchwiseTrainerCallback:
        return self

    def __exit__(self, *exc: object) -> bool:
        self.close()
        return False

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, optimizer: Any = None,
                       train_dataloader: Any = None, **kwargs: Any) -> None:
        self._detach()   # hooks a failed earlier train() left behind
        self._reset()
        self.diagnoses = None
        if model is None:
            raise ArchwiseError("ArchwiseTrainerCallback.on_train_begin got no model; use it as a Trainer callback "
                                "(Trainer(..., callbacks=[ArchwiseTrainerCallback()]))")
        self._main_process = bool(getattr(state, "is_world_process_zero", True))
        n_train = self.n_train if self.n_train is not None else _dataset_len(train_dataloader)
        monitor = Monitor(model, optimizer, self.every, hook_optimizer=False, n_train=n_train,
                          scaler=getattr(optimizer, "scaler", None), **self.monitor_options)
        monitor.attach()
        self.monitor = monitor
        max_norm = getattr(args, "max_grad_norm", None)
        monitor.record.meta["max_grad_norm"] = float(max_norm) if max_norm else None
        self._loss_handle = model.register_forward_hook(self._on_forward, with_kwargs=True)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._main_process = bool(getattr(state, "is_world_process_zero", self._main_process))
        self.close()

    def close(self) -> None:
        """Record the last epoch, remove every hook, then save and diagnose; safe to call more than once."""
        monitor = self.monitor
        if monitor is None or not self._attached():
            self._detach()
            return
        try:
            self._flush_epoch()
        finally:
            self._detach()
        self.diagnoses = _finish(monitor, self.path, self.print_diagnoses, self._main_process)

    def _attached(self) -> bool:
        return self._loss_handle is not None

    def _detach(self) -> None:
        if self._loss_handle is not None:
            self._loss_handle.remove()
            self._loss_handle = None
        if self.monitor is not None:
            self.monitor.detach()

    # ---- steps ------------------------------------------------------------------------------------

    def _on_forward(self, module: torch.nn.Module, args: Any, kwargs: dict[str, Any], output: Any) -> None:
        if not module.training or not torch.is_grad_enabled():
            return
        loss = _loss_of(output)
        if loss is None:
            return
        self._micro.append(loss)
        self._summed = kwargs.get("num_items_in_batch") is not None

    def on_pre_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._attached():
            self.monitor.before_optimizer_step()

    def on_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._attached():
            self.monitor.after_optimizer_step()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not self._attached():
            return
        loss = None
        if self._micro:
            stacked = torch.stack([t.float() for t in self._micro])
            loss = stacked.sum() if self._summed else stacked.mean()
            self._epoch_losses.append(loss)
        self._micro = []
        self.monitor.step(loss)

    # ---- epochs -----------------------------------------------------------------------------------

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._attached():
            self._flush_epoch()

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not self._attached():
            return
        # the Trainer evaluates after on_epoch_end: record the epoch at that evaluation (or at the
        # next epoch's start, when there is none)
        self._pending = True
        self._pending_loss = torch.stack(self._epoch_losses).mean() if self._epoch_losses else None
        self._epoch_losses = []

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: Mapping[str, Any] | None = None,
                    **kwargs: Any) -> None:
        if not self._attached() or not metrics:
            return
        self._val = {"val_loss": metrics.get("eval_loss"),
                     "val_metric": metrics.get(self.val_metric_key) if self.val_metric_key else None}
        if self._pending:
            self._flush_epoch()

    def _flush_epoch(self) -> None:
        if not self._pending or self.monitor is None:
            return
        train_loss, self._pending, self._pending_loss = self._pending_loss, False, None
        val, self._val = self._val or {}, None
        self.monitor.log_epoch(train_loss=train_loss, **val, metric_higher_is_better=self.metric_higher_is_better)


# ---- helpers ------------------------------------------------------------------------------------

def _loss_of(output: Any) -> torch.Tensor | None:
    loss = output.get("loss") if isinstance(output, Mapping) else getattr(output, "loss", None)
    if not isinstance(loss, torch.Tensor):
        return None
    loss = loss.detach()
    return loss.float().mean() if loss.numel() != 1 else loss.reshape(())   # DataParallel: one per device
