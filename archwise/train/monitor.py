"""``archwise.Monitor``: the seed's debugging section, live in any PyTorch training loop.

    mon = archwise.Monitor(model, optimizer, every=10)
    with mon:
        for x, y in loader:
            loss = loss_fn(model(x), y); loss.backward()
            optimizer.step(); optimizer.zero_grad()
            mon.step(loss)
        mon.log_epoch(train_loss=..., val_loss=..., train_metric=..., val_metric=...)
    diagnoses = mon.diagnose()
    mon.save("run.jsonl")

What it hooks, and what each hook records:

* the optimizer's step pre-hook (gradients still there) and post-hook: per weighted layer the
  gradient norm, the weight norm and the update-to-weight ratio ``‖W_after − W_before‖ / ‖W_before‖``,
  reduced on the tensors' own device with ``torch._foreach_norm``; on every ``every``-th step only;
* a forward pre-hook on each activation module: for the ReLU family, which units were active
  (pre-activation > 0) for any input, kept over the last ``window`` samples, so a unit counts as
  dead when it was never active in that window; for sigmoid/tanh, the fraction of
  pre-activations with ``|x| ≥ saturation_at`` (5 by default);
* forward hooks on the root module and a hook on its output's gradient that queues an autograd
  callback for the end of the backward pass: the step's time split into data wait, forward,
  backward, optimizer step and the rest; on the first training forward also the input's scale
  (mean, std, largest magnitude) and the output's form (its features, and whether its rows are
  probabilities), kept in the record's meta;

Losses are kept as tensors on their device and copied to the host once per sample, so a GPU run
is not synchronised every step. Steps that a ``GradScaler`` skipped (pass ``scaler=``) run no
optimizer step, record no gradient statistics and are marked ``skipped``. With gradient
accumulation the statistics are those of the accumulated gradient the optimizer steps with.

Under ``torch.distributed`` (DDP, FSDP2's ``fully_shard``, FSDP1 with ``use_orig_params=True``) the
monitor hooks the wrapped model's own modules and names layers as an unwrapped run would; sharded
norms are taken whole, losses, step times and epoch values averaged over ranks and activation
statistics combined, on sampled steps, at ``log_epoch`` and when ``with mon:`` ends (see
:mod:`archwise.train._distributed`). Every rank then holds the same record; :meth:`Monitor.save`
writes it on rank 0 only. A ``torch.compile``'d model is monitored through its ``_orig_mod`` (the
activation modules' hooks are compiled with it); ``functional=True`` is refused for it, since under
the dispatch mode dynamo runs the model uncompiled (and never compiles a first call made under it).

The monitor never changes training: it consumes no random numbers, changes no tensor, flag or
optimizer setting, and removes every hook on exit, also when the loop raises.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import ArchwiseError
from ._distributed import (Ranks, check_wrapped, clean_name, compiled, full, full_view, local, merge_scale,
                           process_group, scale_parts, type_name, unwrap)
from .record import ActivationInfo, EpochRecord, LayerInfo, StepRecord, TrainingRecord

__all__ = ["Monitor", "RELU_FAMILY", "SATURATING"]

RELU_FAMILY: tuple[type[nn.Module], ...] = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.CELU, nn.SELU)
SATURATING: tuple[type[nn.Module], ...] = (nn.Sigmoid, nn.Tanh, nn.Hardsigmoid, nn.Hardtanh, nn.Softsign)

_PHASES = ("data", "forward", "backward", "optimizer")


class Monitor:
    """Watch a training loop; see the module docstring for what is recorded and how.

    Args:
        model: the module being trained (hooks go on it and its submodules; it is not changed).
        optimizer: its optimizer, or ``None`` to take gradient statistics at :meth:`step` instead
            (then there is no update ratio).
        every: take per-layer statistics on every ``every``-th optimizer step (the loss is kept at
            every :meth:`step` call; with gradient accumulation call it per micro-batch or per update).
        window: how many samples a unit must stay inactive in to count as dead.
        scaler: a ``torch.amp.GradScaler``, so that steps it skipped are not reported as exploding.
        n_train: the number of training examples, for the capacity evidence of ``overfitting``.
        update_ratio: set ``False`` to skip the update ratio (it copies the weights on sampled steps).
        hook_optimizer: set ``False`` when a framework calls :meth:`before_optimizer_step` and
            :meth:`after_optimizer_step` itself (the Lightning and Trainer callbacks do).
        saturation_at: ``|pre-activation|`` from which a sigmoid/tanh unit counts as saturated.
        trivial_loss: the loss a trivial predictor reaches on this data (the targets' variance
            for MSE, the entropy of the class frequencies for cross-entropy), when you know it; the
            detectors judge progress against it. Without it a classifier's is taken as log C.
        functional: also watch activations called as functions (``F.relu``, ``torch.tanh``, the
            ReLU inside ``nn.TransformerEncoderLayer``), through a dispatch mode on sampled forwards;
            ``False`` watches activation modules only (required for a ``torch.compile``'d model).

    Under ``torch.distributed`` call :meth:`step`, :meth:`log_epoch` and leave ``with mon:`` on every
    rank (they combine the ranks' numbers); :meth:`save` and :meth:`diagnose` may be called on any.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | None = None, every: int = 10, *,
                 window: int = 5, scaler: Any = None, n_train: int | None = None, update_ratio: bool = True,
                 hook_optimizer: bool = True, saturation_at: float = 5.0, trivial_loss: float | None = None,
                 functional: bool = True) -> None:
        if not isinstance(model, nn.Module):
            raise ArchwiseError(f"Monitor expects a torch.nn.Module; found {type(model).__name__}; pass the model "
                                "being trained")
        if optimizer is not None:
            optimizer = unwrap_optimizer(optimizer)
            if not isinstance(optimizer, torch.optim.Optimizer):
                raise ArchwiseError(f"Monitor expects a torch.optim.Optimizer or None; found {type(optimizer).__name__}")
        check_every(every)
        check_wrapped(model)
        if functional and compiled(model):
            raise ArchwiseError("Monitor(functional=True) cannot watch a torch.compile'd model: under its dispatch "
                                "mode dynamo runs the model uncompiled; pass functional=False to watch activation "
                                "modules only (their hooks are compiled with the model), or monitor the uncompiled "
                                "model")
        if not isinstance(window, int) or window < 1:
            raise ArchwiseError(f"window must be a whole number ≥ 1 (samples); found {window!r}")
        self.model = model
        self.optimizer = optimizer
        self.every = every
        self.window = window
        self.scaler = scaler
        self.update_ratio = update_ratio
        self.hook_optimizer = hook_optimizer
        self.saturation_at = float(saturation_at)
        if trivial_loss is not None and not (isinstance(trivial_loss, (int, float)) and trivial_loss > 0):
            raise ArchwiseError(f"trivial_loss must be a positive number (a trivial predictor's loss); found "
                                f"{trivial_loss!r}")
        self.trivial_loss = trivial_loss
        self.functional = functional
        self.record = TrainingRecord()
        self._n_train = n_train
        self._handles: list[Any] = []
        self._attached = False
        self._layers: list[tuple[str, list[nn.Parameter]]] = []
        self._layer_modules: list[nn.Module] = []
        self._flat: list[nn.Parameter] = []
        self._owner: list[int] = []
        self._ranks: Ranks | None = None          # the process group, while the ranks' numbers are combined
        self._rank = 0                            # this process's rank (only rank 0 saves)
        self._shard: torch.Tensor | None = None   # per parameter: 1/copies when sharded, 0 when whole
        self._acts: list[tuple[str, nn.Module, str]] = []
        self._reset_state()

    # ---- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> Monitor:
        self.attach()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> bool:
        # after an error other ranks may never reach the end of their block: combine nothing then
        self.detach(combine=exc_type is None)
        return False

    def attach(self) -> Monitor:
        """Register the hooks (``with mon:`` does this); describe the model in the record's meta."""
        if self._attached:
            raise ArchwiseError("this Monitor is already attached; use one `with mon:` block, or call detach() first")
        try:
            if not self.record.layers:
                self._ranks = process_group()
                self._rank = self._ranks.rank if self._ranks is not None else 0
                self._describe()
            self._register()
        except BaseException:
            self._remove()
            raise
        self._attached = True
        now = time.perf_counter()
        self._t_mark = now
        self._t_step = now
        return self

    def detach(self, *, combine: bool = True) -> None:
        """Remove every hook and copy pending losses to the record; safe to call twice.

        Under ``torch.distributed`` this combines the ranks' pending losses, so every rank must call it;
        ``combine=False`` (an error path, where other ranks may not get here) keeps this rank's own,
        and from then on this rank combines nothing (``log_epoch`` and ``diagnose`` stay local).
        """
        self._remove()
        self._attached = False
        if combine:
            self._sync()
        else:
            self._ranks = None
        self._flush_losses()

    def _remove(self) -> None:
        self._stop_spy()  # a forward that raised inside a sampled step leaves it entered
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _reset_state(self) -> None:
        self._n = 0                       # step() calls so far
        self._opt_steps = 0
        self._due = True                  # the next optimizer step is sampled
        self._next_due = 0
        self._pending_losses: list[tuple[StepRecord, Any]] = []   # (distributed: every step since the last sync)
        self._first_unsynced = False      # the first batch's scale is this rank's only
        self._sample: dict[str, Any] = {}
        self._snapshot: list[torch.Tensor] | None = None
        self._active: list[deque] = []
        self._sat: list[list[float]] = []
        self._times = dict.fromkeys(_PHASES, 0.0)
        self._t_mark = self._t_step = 0.0
        self._t_fwd = self._t_bwd = self._t_opt = None
        self._fwd_depth = 0
        self._spy: Any = None             # the dispatch mode seeing functional activations, on sampled forwards
        self._spy_handles: list[Any] = []
        self._in_act = 0                  # > 0 while an activation module runs (its own hooks count it)
        self._last_weighted: str | None = None
        self._calls: dict[tuple[str | None, str], int] = {}
        self._functional_index: dict[str, int] = {}
        self._functional_known = False
        self._opt_in_step = False
        self._last_scale: float | None = None

    # ---- describing the model -------------------------------------------------------------------

    def _describe(self) -> None:
        inner, wrappers = unwrap(self.model)
        with torch.no_grad(), full_view(self.model):   # FSDP1's parameters whole, for their shapes and spread
            modules = [(clean_name(name) or "(root)", module) for name, module in inner.named_modules()]
            layers, infos, layer_modules = [], [], []
            for label, module in modules:
                params = [p for p in module.parameters(recurse=False) if p.requires_grad]
                if not params:
                    continue
                layers.append((label, params))
                layer_modules.append(module)
                infos.append(_layer_info(label, module, params))
            numels = [p.numel() for _, params in layers for p in params]
            self.record.meta = {"every": self.every, "window": self.window, "saturation_at": self.saturation_at,
                                "model": type_name(inner),
                                "params": sum(p.numel() for p in inner.parameters()),
                                "trainable_params": sum(p.numel() for p in inner.parameters() if p.requires_grad),
                                "dropout": [float(m.p) for m in inner.modules()
                                            if isinstance(m, nn.modules.dropout._DropoutNd)],
                                "norm_layers": sum(isinstance(m, (nn.modules.batchnorm._NormBase, nn.LayerNorm,
                                                                  nn.GroupNorm)) for m in inner.modules()),
                                "n_train": self._n_train, "scaler": self.scaler is not None,
                                "trivial_loss": self.trivial_loss}
        acts, act_infos, last_weighted = [], [], None
        for label, module in modules:
            if any(p.requires_grad for p in module.parameters(recurse=False)):
                last_weighted = label
            kind = "relu" if isinstance(module, RELU_FAMILY) else "saturating" if isinstance(module, SATURATING) else None
            if kind:
                acts.append((label, module, kind))
                act_infos.append(ActivationInfo(label, type_name(module), kind, last_weighted))
        self._layers, self._layer_modules, self._acts = layers, layer_modules, acts
        self._flat = [p for _, params in layers for p in params]            # every watched parameter, in order
        self._owner = [i for i, (_, params) in enumerate(layers) for _ in params]   # ... and its layer's index
        if self._ranks is not None:
            self._shard = self._ranks.shard_weights(self._flat, numels)
        self._active = [deque(maxlen=self.window) for _ in acts]
        self._sat = [[0.0, 0.0] for _ in acts]
        self.record.layers, self.record.activations = infos, act_infos
        if wrappers or self._ranks is not None:
            self.record.meta["wrappers"] = wrappers
            self.record.meta["world_size"] = self._ranks.world if self._ranks is not None else 1
        if self.optimizer is not None:
            group = self.optimizer.param_groups[0]
            self.record.meta["optimizer"] = {
                "type": type(self.optimizer).__name__, "lr": _float(group.get("lr")),
                "weight_decay": _float(group.get("weight_decay", 0.0)), "momentum": _float(group.get("momentum")),
                "groups": len(self.optimizer.param_groups)}

    def _register(self) -> None:
        m = self.model
        start, end = self._on_forward_start, self._on_forward_end
        if getattr(m, "_compiled_call_impl", None) is not None:
            # model.compile() compiles the root's hooks with its forward: run ours (clocks, the first
            # batch's scale) outside the graph instead of breaking it inside
            start, end = torch._dynamo.disable(start), torch._dynamo.disable(end)
        self._handles.append(m.register_forward_pre_hook(start))
        self._handles.append(m.register_forward_hook(end))
        for index, (_, module, kind) in enumerate(self._acts):
            if module is None:
                continue  # a functional activation: the spy sees it
            hook = self._relu_hook(index) if kind == "relu" else self._saturation_hook(index)
            self._handles.append(module.register_forward_pre_hook(hook))

        if self.optimizer is not None and self.hook_optimizer:
            self._handles.append(self.optimizer.register_step_pre_hook(lambda *_: self.before_optimizer_step()))
            self._handles.append(self.optimizer.register_step_post_hook(lambda *_: self.after_optimizer_step()))

    # ---- hooks ----------------------------------------------------------------------------------

    def _on_forward_start(self, module: nn.Module, args: Any) -> None:
        self._fwd_depth += 1
        if self._fwd_depth > 1:
            return
        now = time.perf_counter()
        if torch.is_grad_enabled():
            self._times["data"] += max(0.0, now - self._t_mark)
            if "input" not in self.record.meta:
                self.record.meta["input"] = _tensor_scale(_first_tensor(args))
                self._first_unsynced = self._ranks is not None
            if self.functional and self._due and self._spy is None:
                from ._functional import ActivationSpy

                self._calls = {}
                # hooks for the spied forward only: which weighted layer ran last, and when an
                # activation module (hooked already) runs, so that its op is not counted twice
                for _, act, _ in self._acts:
                    if act is not None:
                        self._spy_handles += [act.register_forward_pre_hook(self._enter_act),
                                              act.register_forward_hook(self._leave_act)]
                for (label, _), layer in zip(self._layers, self._layer_modules):
                    self._spy_handles.append(layer.register_forward_pre_hook(self._weighted_runs(label)))
                self._spy = ActivationSpy(self._functional_seen, lambda: self._in_act > 0)
                self._spy.__enter__()
        self._t_fwd = now

    def _on_forward_end(self, module: nn.Module, args: Any, output: Any) -> None:
        self._fwd_depth = max(0, self._fwd_depth - 1)
        if self._fwd_depth:
            return
        self._stop_spy()
        now = time.perf_counter()
        if self._t_fwd is not None and torch.is_grad_enabled():
            self._times["forward"] += now - self._t_fwd
            tensor = _first_tensor(output)
            if tensor is not None and tensor.requires_grad:
                tensor.register_hook(self._on_backward_start)
            if "output" not in self.record.meta:
                self.record.meta["output"] = _output_form(tensor)
        self._t_fwd = None
        self._t_mark = now

    def _on_backward_start(self, grad: torch.Tensor) -> None:
        self._t_bwd = time.perf_counter()
        torch.autograd.Variable._execution_engine.queue_callback(self._on_backward_end)

    def _on_backward_end(self) -> None:
        now = time.perf_counter()
        if self._t_bwd is not None:
            self._times["backward"] += now - self._t_bwd
        self._t_bwd = None
        self._t_mark = now

    # ---- functional activations (see _functional.py) ---------------------------------------------

    def _stop_spy(self) -> None:
        if self._spy is not None:
            spy, self._spy = self._spy, None
            spy.__exit__(None, None, None)
            self._functional_known = True  # the first spied forward named them; later ones only match
        for handle in self._spy_handles:
            handle.remove()
        self._spy_handles = []
        self._in_act = 0
        self._last_weighted = None

    def _enter_act(self, module: nn.Module, args: Any) -> None:
        self._in_act += 1

    def _leave_act(self, module: nn.Module, args: Any, output: Any) -> None:
        self._in_act = max(0, self._in_act - 1)

    def _weighted_runs(self, name: str):
        def hook(module: nn.Module, args: Any) -> None:
            self._last_weighted = name
        return hook

    def _functional_seen(self, op: str, kind: str, x: torch.Tensor) -> None:
        after = self._last_weighted
        count = self._calls[(after, op)] = self._calls.get((after, op), 0) + 1
        name = f"{after or 'input'} · F.{op} #{count}"
        index = self._functional_index.get(name)
        if index is None:
            if self._functional_known:
                return  # a path the first forward did not take: not in the record's activations
            index = len(self._acts)
            self._functional_index[name] = index
            self._acts.append((name, None, kind))
            self._active.append(deque(maxlen=self.window))
            self._sat.append([0.0, 0.0])
            self.record.activations.append(ActivationInfo(name, f"F.{op}", kind, after))
        (self._relu_hook if kind == "relu" else self._saturation_hook)(index)(None, (x,))

    def _relu_hook(self, index: int):
        def hook(module: nn.Module, args: Any) -> None:
            if not self._due or not torch.is_grad_enabled() or not args or not isinstance(args[0], torch.Tensor):
                return
            x = args[0].detach()
            if x.dim() == 0:
                return
            unit_dim = 1 if x.dim() >= 4 else x.dim() - 1
            dims = [d for d in range(x.dim()) if d != unit_dim]
            active = (x.amax(dim=dims) > 0) if dims else (x > 0)
            self._sample.setdefault("active", {}).setdefault(index, []).append(active)
        return hook

    def _saturation_hook(self, index: int):
        def hook(module: nn.Module, args: Any) -> None:
            if not self._due or not torch.is_grad_enabled() or not args or not isinstance(args[0], torch.Tensor):
                return
            x = args[0].detach()
            if x.numel() == 0:
                return
            saturated = (x.abs() >= self.saturation_at).sum()
            self._sample.setdefault("saturated", {}).setdefault(index, []).append((saturated, x.numel()))
        return hook

    # ---- optimizer ------------------------------------------------------------------------------

    def before_optimizer_step(self) -> None:
        """Gradients are final and weights not yet updated: take the sample's gradient statistics."""
        self._t_opt = time.perf_counter()
        self._opt_in_step = True
        if not self._due or not self._layers:
            return
        self._sample.update(self._gradient_stats())
        if self.update_ratio:
            with torch.no_grad():
                self._snapshot = [local(p.detach()).clone() for p in self._flat]

    def after_optimizer_step(self) -> None:
        """Weights are updated: finish the sample with the update ratio."""
        now = time.perf_counter()
        if self._t_opt is not None:
            self._times["optimizer"] += now - self._t_opt
        self._t_opt = None
        self._t_mark = now
        self._opt_steps += 1
        if self._due and self._layers:
            if self._snapshot is not None:
                with torch.no_grad():
                    before, self._snapshot = self._snapshot, None
                    # the snapshot is thrown away: reuse it for the difference
                    torch._foreach_sub_(before, [local(p.detach()) for p in self._flat])
                    self._sample["delta_sq"] = self._layer_squares(_norms(before), range(len(before)))
            self._sample["taken"] = True

    def _gradient_stats(self) -> dict[str, Any]:
        """Per layer the weights' and gradients' sums of squares (this rank's shares; roots come at the
        step), and how many of its tensors have a gradient."""
        flat = [local(p.detach()) for p in self._flat]
        with torch.no_grad():
            present = [(local(p.grad), i) for i, p in enumerate(self._flat) if p.grad is not None]
            has_grad = torch.zeros(len(self._layers), dtype=torch.float64)
            has_grad.index_add_(0, torch.tensor([self._owner[i] for _, i in present], dtype=torch.long),
                                torch.ones(len(present), dtype=torch.float64))
            return {"weight_sq": self._layer_squares(_norms(flat), range(len(flat))),
                    "grad_sq": self._layer_squares(_norms([g for g, _ in present]), [i for _, i in present]),
                    "has_grad": has_grad}

    def _layer_squares(self, norms: list[torch.Tensor],
                       index: Iterable[int]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Each layer's sum of squares from its tensors' norms (``index``: which watched tensors), in
        float64 so that large layers do not overflow (float32 where the device has none, such as MPS):
        the part held whole on this rank, and the sharded part the ranks add (``None`` without shards)."""
        n_layers = len(self._layers)
        index = list(index)
        if not norms:
            zeros = torch.zeros(n_layers, dtype=torch.float64)
            return zeros, (None if self._shard is None else zeros.clone())
        device = norms[0].device
        dtype = torch.float32 if device.type == "mps" else torch.float64
        squares = torch.stack([n.to(device=device, dtype=dtype) for n in norms]) ** 2
        owner = torch.tensor([self._owner[i] for i in index], device=device)
        if self._shard is None:
            return torch.zeros(n_layers, device=device, dtype=dtype).index_add_(0, owner, squares), None
        share = self._shard[index].to(device=device, dtype=dtype)
        whole = torch.zeros(n_layers, device=device, dtype=dtype)
        shard = torch.zeros(n_layers, device=device, dtype=dtype)
        whole.index_add_(0, owner, torch.where(share == 0, squares, 0))
        shard.index_add_(0, owner, torch.where(share > 0, squares * share, 0))
        return whole, shard

    # ---- the loop's calls -----------------------------------------------------------------------

    def step(self, loss: Any = None, *, times: dict[str, float] | None = None) -> None:
        """Record one step: its loss (a scalar tensor or number), and the sample when one was due.

        ``times`` overrides the measured split (seconds per phase), for frameworks that know it.
        """
        if not self._attached:
            raise ArchwiseError("Monitor.step was called outside `with mon:`; enter the monitor (or call attach()) "
                                "before the training loop")
        now = time.perf_counter()
        if self.optimizer is None:                 # no optimizer: every step() counts as one update
            if self._due and self._layers:
                self._sample.update(self._gradient_stats())
                self._sample["taken"] = True
            self._opt_steps += 1
        rec = StepRecord(step=self._n, opt_step=self._opt_steps)
        value = _loss_value(loss)
        if isinstance(value, torch.Tensor) or self._ranks is not None:
            self._pending_losses.append((rec, value))   # copied to the host (and combined) at the next sync
        else:
            rec.loss = value
        if self.optimizer is not None and self.optimizer.param_groups:
            rec.lr = _float(self.optimizer.param_groups[0].get("lr"))
        if self.scaler is not None:
            scale = _float(self.scaler.get_scale()) if self.scaler.is_enabled() else None
            if scale is not None and self._last_scale is not None and scale < self._last_scale:
                rec.skipped = True
            self._last_scale = scale
        spent = dict(self._times)
        if times:
            spent.update({k: float(v) for k, v in times.items() if k in _PHASES})
        total = now - self._t_step
        rec.time = {"total": total, **spent}
        sample_taken = self._sample.get("taken", False)
        self.record.steps.append(rec)
        if sample_taken:
            sums = self._sync(self._sample_parts())
            if not rec.skipped:
                self._finish_sample(rec, sums)
            self._sample = {}
            self._due = False
            self._next_due = self._opt_steps - 1 + self.every   # in optimizer steps (accumulation-proof)
        elif rec.skipped:
            self._sample = {}
        self._n += 1
        if not self._due and self._opt_steps >= self._next_due:
            self._due = True
        self._times = dict.fromkeys(_PHASES, 0.0)
        end = time.perf_counter()
        self._t_step = end
        self._t_mark = end

    def _sample_parts(self) -> dict[str, torch.Tensor]:
        """What the ranks add up of this sample: sharded sums of squares, gradient counts, each ReLU's
        units active on this rank's inputs, each saturating activation's (saturated, values) counts."""
        s = self._sample
        parts = {key: s[key][1] for key in ("weight_sq", "grad_sq", "delta_sq") if key in s and s[key][1] is not None}
        if "has_grad" in s:
            parts["has_grad"] = s["has_grad"]
        for index, (_, _, kind) in enumerate(self._acts):
            if kind == "relu" and s.get("active", {}).get(index):
                masks = s["active"][index]
                merged = masks[0]
                for mask in masks[1:]:
                    merged = merged | mask if mask.shape == merged.shape else merged
                parts[f"active/{index}"] = merged
            elif kind != "relu" and s.get("saturated", {}).get(index):
                counts = s["saturated"][index]
                saturated = torch.stack([c.to(torch.float64) for c, _ in counts]).sum()
                values = saturated.new_tensor(float(sum(n for _, n in counts)))
                parts[f"saturated/{index}"] = torch.stack([saturated, values])
        return parts

    def _finish_sample(self, rec: StepRecord, sums: dict[str, torch.Tensor]) -> None:
        s = self._sample

        def root(key: str) -> torch.Tensor | None:   # whole part + the ranks' sharded parts, square-rooted
            if key not in s:
                return None
            whole, _ = s[key]
            return (whole + sums[key].to(whole) if key in sums else whole).sqrt()

        weights, grads, delta = root("weight_sq"), root("grad_sq"), root("delta_sq")
        rec.weight_norm = None if weights is None else weights.tolist()
        if delta is not None and weights is not None:
            # a layer whose weights were all zero (a learned position table or a bias started at 0) has no
            # ratio: any step over a zero norm reads as infinite growth
            ratios = torch.where(weights > 0, delta / weights.clamp_min(torch.finfo(weights.dtype).tiny), torch.nan)
            rec.update_ratio = [None if r != r else r for r in ratios.tolist()]   # NaN: no ratio
        has = sums["has_grad"].tolist() if "has_grad" in sums else [0] * len(self._layers)
        grad_list = grads.tolist() if grads is not None else [None] * len(self._layers)
        rec.grad_norm = [g if h > 0 else None for g, h in zip(grad_list, has)]
        if self._acts:
            rec.dead, rec.saturated = [], []
            for index, (_, _, kind) in enumerate(self._acts):
                if kind == "relu":
                    rec.saturated.append(None)
                    active = sums.get(f"active/{index}")
                    if active is None:
                        rec.dead.append(None)
                        continue
                    merged = active > 0                       # active on any rank
                    ring = self._active[index]
                    if ring and ring[-1].shape != merged.shape:
                        ring.clear()
                    ring.append(merged)
                    ever = ring[0]
                    for mask in list(ring)[1:]:
                        ever = ever | mask
                    rec.dead.append(1.0 - float(ever.float().mean()))
                else:
                    rec.dead.append(None)
                    counts = sums.get(f"saturated/{index}")
                    rec.saturated.append(None if counts is None else float(counts[0]) / float(counts[1]))

    def _sync(self, parts: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
        """Combine what the ranks hold since the last sync (with one process: keep it as it is); every
        rank calls this at the same points: sampled steps, ``log_epoch`` and the end of monitoring."""
        parts = dict(parts or {})
        if self._ranks is None:
            self._flush_losses()
            return parts
        pending, self._pending_losses = self._pending_losses, []
        if pending:
            parts["~loss"] = torch.tensor([[0.0, 0.0] if v is None else [1.0, 0.0] for _, v in pending],
                                          dtype=torch.float64)
            values = [v.float() if isinstance(v, torch.Tensor) else torch.tensor(float(v)) for _, v in pending
                      if v is not None]
            if values:
                parts["~loss"][parts["~loss"][:, 0] > 0, 1] = torch.stack([v.cpu() for v in values]).double()
            parts["~time"] = torch.tensor([[r.time.get(k, 0.0) for k in ("total", *_PHASES)] for r, _ in pending],
                                          dtype=torch.float64)
        first = self._first_unsynced
        if first:
            parts["~input"] = scale_parts(self.record.meta.get("input"))
            parts["~output"] = scale_parts(self.record.meta.get("output"))
        if not parts:
            return parts
        peak = (self.record.meta.get("input") or {}).get("absmax", -math.inf) if first else -math.inf
        sums, peak = self._ranks.add(parts, peak)
        world = self._ranks.world
        if pending:
            for (rec, _), (has, value), spent in zip(pending, sums["~loss"].tolist(), sums["~time"].tolist()):
                rec.loss = value / has if has > 0 else None
                rec.time = {k: t / world for k, t in zip(("total", *_PHASES), spent)}
        if first:
            self._first_unsynced = False
            self.record.meta["input"] = merge_scale(self.record.meta.get("input"), sums["~input"], peak)
            self.record.meta["output"] = merge_scale(self.record.meta.get("output"), sums["~output"])
        return sums

    def _flush_losses(self) -> None:
        """Copy this rank's pending losses to the record as they are (tensors in one transfer)."""
        pending, self._pending_losses = self._pending_losses, []
        tensors = [(rec, v) for rec, v in pending if isinstance(v, torch.Tensor)]
        if tensors:
            values = torch.stack([t.float() for _, t in tensors]).cpu().tolist()
            for (rec, _), value in zip(tensors, values):
                rec.loss = value
        for rec, value in pending:
            if value is not None and not isinstance(value, torch.Tensor):
                rec.loss = value

    def log_epoch(self, train_loss: float | None = None, val_loss: float | None = None,
                  train_metric: float | None = None, val_metric: float | None = None, *,
                  metric_higher_is_better: bool = True, **extra: float) -> None:
        """Record one epoch's metrics (any may be left out); extra keyword values are kept as they are.

        Under ``torch.distributed`` every rank calls it with the same names and the record keeps each
        value's mean over the ranks: pass each rank's value on its own equal share of the data (as
        ``DistributedSampler`` splits it), or a value already global (the mean of equal values is that value).
        """
        reserved = {"type", "epoch", "step", "extra"} & set(extra)
        if reserved:
            raise ArchwiseError(f"log_epoch: '{sorted(reserved)[0]}' is a name the record uses itself; pass the "
                                "value under another name")
        values = {}
        for key, value in (("train_loss", train_loss), ("val_loss", val_loss), ("train_metric", train_metric),
                           ("val_metric", val_metric), *extra.items()):
            if value is None:
                continue
            try:
                values[key] = float(value.detach().float().item() if isinstance(value, torch.Tensor) else value)
            except (TypeError, ValueError):
                raise ArchwiseError(f"log_epoch expects numbers; {key} is {type(value).__name__}") from None
        sums = self._sync({f"~epoch/{k}": torch.tensor([v], dtype=torch.float64) for k, v in values.items()}
                          if self._ranks is not None else None)
        if self._ranks is not None:
            values = {k: float(sums[f"~epoch/{k}"][0]) / self._ranks.world for k in values}
        self.record.meta["metric_higher_is_better"] = bool(metric_higher_is_better)
        known = {k: values.pop(k) for k in ("train_loss", "val_loss", "train_metric", "val_metric") if k in values}
        self.record.epochs.append(EpochRecord(epoch=len(self.record.epochs), step=max(self._n - 1, 0), **known,
                                              extra=values))
        now = time.perf_counter()
        self._t_mark = now
        self._t_step = now

    # ---- results --------------------------------------------------------------------------------

    def diagnose(self, config: Any = None, **thresholds: float) -> list:
        """Run every detector over what was recorded so far; see :func:`archwise.train.diagnose`.

        Under ``torch.distributed`` every rank gives the same answer; losses since the last sampled
        step (or ``log_epoch``) are left out until the next one, or the end of ``with mon:``.
        """
        from .detectors import diagnose

        if self._ranks is None:
            self._flush_losses()
        return diagnose(self.record, config, **thresholds)

    def save(self, path: str | Path) -> Path:
        """Write the record as JSON lines (see :mod:`archwise.train.record`) and return its path.

        Under ``torch.distributed`` only rank 0 writes (every rank holds the same record); the others
        return the path without writing, so ``mon.save(path)`` may run on every rank.
        """
        if self._ranks is None:
            self._flush_losses()
        if self._rank != 0:
            return Path(path)
        return self.record.save(path)


# ---- helpers ------------------------------------------------------------------------------------

def _describe_recurrent(module: nn.RNNBase, info: LayerInfo) -> None:
    """An RNN/LSTM/GRU's input weights (fan-in, fan-out and std of ``weight_ih_l0``) and the singular
    values of each gate block of its ``weight_hh_l*``: the factor a hidden state is stretched by per
    step, 1 for an orthogonal init, about 1.15 for PyTorch's default uniform(±1/√H)."""
    ih = getattr(module, "weight_ih_l0", None)
    if not isinstance(ih, torch.Tensor) or ih.device.type == "meta":
        return
    info.fan_in, info.fan_out = int(ih.shape[1]), int(module.hidden_size)
    info.weight_std = float(full(ih).detach().float().std())
    gains = []
    for name, p in module.named_parameters(recurse=False):
        if name.startswith("weight_hh") and p.dim() == 2 and p.shape[1] == module.hidden_size:  # no proj_size
            for block in full(p).detach().double().split(p.shape[1]):   # (H, H) per gate
                sv = torch.linalg.svdvals(block)
                gains += [float(sv.max()), float(sv.min())]
    if gains:
        info.hh_gain, info.hh_min_gain = max(gains), min(gains)


def _float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        value = value.detach().float().item()
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _layer_info(label: str, module: nn.Module, params: list[nn.Parameter]) -> LayerInfo:
    """A weighted layer as found: its size, fans, the spread of its weight and the mean of its bias
    (a sharded DTensor is gathered whole first, a collective every rank makes in the same order)."""
    info = LayerInfo(label, type_name(module), sum(p.numel() for p in params))
    weight = getattr(module, "weight", None)
    bias = getattr(module, "bias", None)
    if isinstance(weight, torch.Tensor) and weight.dim() >= 2 and weight.device.type != "meta":
        info.fan_out = int(weight.shape[0])
        info.fan_in = math.prod(weight.shape[1:])
        info.weight_std = float(full(weight).detach().float().std())
    if isinstance(bias, torch.Tensor) and bias.numel() and bias.device.type != "meta":
        info.bias_mean = float(full(bias).detach().float().mean())
    if isinstance(module, nn.RNNBase):
        _describe_recurrent(module, info)
    return info


def _loss_value(loss: Any) -> torch.Tensor | float | None:
    """A step's loss as given: a detached scalar tensor (left on its device), a float, or ``None``."""
    if loss is None:
        return None
    if isinstance(loss, torch.Tensor):
        if loss.numel() != 1:
            raise ArchwiseError(f"Monitor.step expects a scalar loss; found a tensor of shape {tuple(loss.shape)}; "
                                "pass loss.mean() or the reduced loss")
        return loss.detach().reshape(())
    try:
        return float(loss)
    except (TypeError, ValueError):
        raise ArchwiseError(f"Monitor.step expects a scalar loss (tensor or number); found "
                            f"{type(loss).__name__}") from None


def _first_tensor(output: Any) -> torch.Tensor | None:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, dict):
        output = list(output.values())
    if isinstance(output, (list, tuple)):
        for item in output:
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def _tensor_scale(x: torch.Tensor | None) -> dict[str, Any] | None:
    """What the first training batch fed the model looks like: its shape and, for floating inputs,
    mean, standard deviation and largest magnitude (the evidence for "normalise the inputs")."""
    if x is None:
        return None
    out: dict[str, Any] = {"shape": list(x.shape), "dtype": str(x.dtype).removeprefix("torch.")}
    if x.is_floating_point() and x.numel() > 1 and x.device.type != "meta":
        with torch.no_grad():
            v = x.detach().double()
            out.update(mean=float(v.mean()), std=float(v.std()), absmax=float(v.abs().max()))
    return out


def _output_form(y: torch.Tensor | None) -> dict[str, Any] | None:
    """The model's first training output: its features (last dimension) and the share of rows that
    are probability vectors (every entry in [0, 1], summing to 1), the mark of a softmax at the end;
    for one output, the share of rows in [0, 1], the mark of a sigmoid at the end."""
    if y is None or y.device.type == "meta":
        return None
    out: dict[str, Any] = {"shape": list(y.shape), "features": int(y.shape[-1]) if y.dim() else 1}
    if y.is_floating_point() and y.dim() >= 1 and y.shape[-1] >= 2 and y.numel():
        with torch.no_grad():
            v = y.detach().double().reshape(-1, y.shape[-1])
            rows = (v.min(1).values >= 0) & (v.max(1).values <= 1) & ((v.sum(1) - 1).abs() < 1e-3)
            out["probability_rows"] = float(rows.double().mean())
    elif y.is_floating_point() and y.dim() >= 1 and y.shape[-1] == 1 and y.numel():
        with torch.no_grad():
            v = y.detach().double()
            out["probability_rows"] = float(((v >= 0) & (v <= 1)).double().mean())
    return out


def _norms(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """2-norm of each tensor, computed on its device (foreach kernels where the layout allows).

    A float32 (or half) norm overflows once the sum of squares passes ~3.4e38 (values near 1.8e19),
    so a large but finite tensor would read as infinite. The few norms that came out infinite are
    taken again, scaled by the tensor's largest magnitude and returned in float64: a norm is
    infinite only when a value is (one check per sampled step, on a tensor of one norm per tensor).
    """
    if not tensors:
        return []
    if all(t.layout == torch.strided for t in tensors):
        norms = list(torch._foreach_norm(tensors))
    else:
        norms = [t.coalesce().values().norm() if t.is_sparse else t.norm() for t in tensors]
    inf = torch.isinf(torch.stack([n.to(norms[0].device, torch.float32) for n in norms]))
    if bool(inf.any()):
        for i in inf.nonzero().flatten().tolist():
            norms[i] = _scaled_norm(tensors[i])
    return norms


def _scaled_norm(t: torch.Tensor) -> torch.Tensor:
    """‖t‖ without overflow: max|t| × ‖t / max|t|‖, in float64 (inf when ``t`` holds an inf, nan for a nan).

    Example:
        >>> round(float(_scaled_norm(torch.full((4,), 1e20))) / 1e20, 6)  # float32's own norm says inf
        2.0
    """
    values = t.coalesce().values() if t.is_sparse else t
    top = values.detach().abs().amax().double()
    if not bool(torch.isfinite(top)) or float(top) == 0.0:
        return top if not bool(torch.isnan(values).any()) else top * float("nan")
    return top * torch.linalg.vector_norm(values / top.to(values.dtype)).double()


def check_every(every: object) -> None:
    """``every`` must be a whole number ≥ 1 (the Monitor and the framework callbacks check it alike)."""
    if not isinstance(every, int) or isinstance(every, bool) or every < 1:
        raise ArchwiseError(f"every must be a whole number ≥ 1 (steps between samples); found {every!r}")


def unwrap_optimizer(optimizer: Any) -> Any:
    """The torch optimizer inside a LightningOptimizer or accelerate's AcceleratedOptimizer (else as given)."""
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    inner = getattr(optimizer, "optimizer", None)
    return inner if isinstance(inner, torch.optim.Optimizer) else optimizer
