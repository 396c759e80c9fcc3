"""Training and inference memory, simulated by running the real step on fake tensors.

The model's parameters and buffers are swapped for fake CPU tensors (``FakeTensorMode``: real
shapes, dtypes and device, no data), and one steady-state training step runs for real — forward
under ``torch.autocast`` for mixed precision, loss, backward, ``optimizer.step()``,
``zero_grad()`` — while a ``StorageTracker`` follows the bytes of every live storage. The
optimizer's state is created first, as the first step would, so the measured step is the second,
steady-state one. Fake CPU tensors take the same kernels as a real CPU run (PyTorch's own autocast,
the fused CPU attention and RNN kernels), so what autograd saves is what a real step saves.

The peak is broken down by what each live storage was at that moment: weights (and buffers),
gradients, optimizer state, activations saved for backward, and transient (everything else: the
input batch, outputs, temporaries). The parts add up to the peak.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch._subclasses.fake_tensor import FakeTensorMode

from ..errors import ArchwiseError
from ..spec import InputSpec, normalize_inputs
from ._alloc import StorageTracker
from ._kernels import KernelModel
from ._step import (
    LossKind, OptimizerName, Precision, checkpoint_blocks, checkpoint_kwargs, checkpointed, gc_paused, swapped, make_optimizer, optimizer_state_tensors,
    parse_enum, run_step, warm_up,
)
from ._trace import tensors_in

__all__ = ["TrainingMemory", "InferenceMemory", "simulate_training", "simulate_inference", "CATEGORIES"]

CATEGORIES = ("weights", "gradients", "optimizer_state", "activations", "transient")
aten = torch.ops.aten


@dataclass(frozen=True)
class TrainingMemory:
    """The peak of one steady-state training step and what it is made of (bytes)."""

    peak_bytes: int
    weights: int  # parameters and buffers
    gradients: int
    optimizer_state: int
    activations: int  # saved for backward
    transient: int  # inputs, outputs and temporaries live at the peak
    peak_phase: str  # "forward" | "loss" | "backward" | "optimizer" | "zero_grad"
    phase_peaks: dict[str, int]  # the highest live bytes seen in each phase
    optimizer: str
    precision: str
    checkpointing: bool
    method: str = "simulated"  # "simulated" (fake tensors) or "real" (a real CPU step)
    notes: tuple[str, ...] = ()

    def parts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in CATEGORIES}

    def to_dict(self) -> dict[str, Any]:
        return {"peak_bytes": self.peak_bytes, **self.parts(), "peak_phase": self.peak_phase,
                "phase_peaks": dict(self.phase_peaks), "optimizer": self.optimizer, "precision": self.precision,
                "checkpointing": self.checkpointing, "method": self.method, "notes": list(self.notes)}


@dataclass(frozen=True)
class InferenceMemory:
    """Weights plus the peak of one forward under ``torch.no_grad()`` (bytes)."""

    peak_bytes: int
    weights: int
    activations: int  # everything else live at the peak
    kv_cache_bytes: int | None  # key/value cache a decoder returns, when it returns one
    precision: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"peak_bytes": self.peak_bytes, "weights": self.weights, "activations": self.activations,
                "kv_cache_bytes": self.kv_cache_bytes, "precision": self.precision, "notes": list(self.notes)}


def simulate_training(model: nn.Module, inputs: Any, *, optimizer: str = "adamw", precision: str = "fp32",
                      checkpointing: bool = False, loss: str = "auto", foreach: bool = False) -> TrainingMemory:
    """Simulate one steady-state training step of ``model`` at ``inputs`` and return its peak memory.

    Args:
        model: any ``nn.Module``, with real weights or built on the meta device; it is not changed.
        inputs: as for :func:`archwise.profile`; the batch is part of the shapes.
        optimizer: ``sgd``, ``momentum``, ``adam``, ``adamw`` or ``adafactor`` (PyTorch's defaults).
        precision: ``fp32``, ``bf16``, ``fp16`` (everything in that dtype) or ``bf16-mixed``,
            ``fp16-mixed`` (fp32 master weights and optimizer state, autocast forward).
        checkpointing: run each repeated top-level block under ``torch.utils.checkpoint``.
        loss: ``auto`` (cross-entropy for logits-like outputs, else MSE), ``ce`` or ``mse``.
        foreach: use the optimizer's foreach implementation, as PyTorch does on CUDA.

    Example:
        >>> import torch, archwise
        >>> m = archwise.simulate_training(torch.nn.Linear(1000, 1000), [(32, 1000)], optimizer="sgd")
        >>> m.peak_bytes == sum(m.parts().values()), m.weights
        (True, 4004000)
    """
    opt_name = parse_enum(OptimizerName, optimizer, "optimizer")
    prec = parse_enum(Precision, precision, "precision")
    loss_kind = parse_enum(LossKind, loss, "loss")
    args, kwargs = normalize_inputs(inputs)
    shim = KernelModel()
    fake = FakeTensorMode(allow_non_fake_inputs=True)
    tracker = StorageTracker()
    blocks = checkpoint_blocks(model) if checkpointing else []
    if checkpointing and not blocks:
        raise ArchwiseError("--checkpointing found no repeated blocks (a ModuleList or Sequential of modules of one "
                            "class) to checkpoint in this model")
    with gc_paused(), torch.random.fork_rng(devices=[]), fake, tracker, shim:
        swap, params, weight_tensors = _fake_stand_ins(model, prec)
        call_args = [_fake_input(a, prec) for a in args]
        call_kwargs = {k: _fake_input(v, prec) for k, v in kwargs.items()}
        tracker.track([*weight_tensors, *call_args, *call_kwargs.values()])
        tracker.tag(weight_tensors, "weights")
        if blocks:
            call_kwargs = {**checkpoint_kwargs(model), **call_kwargs}
        opt = make_optimizer(opt_name, params, foreach)
        warm_up(opt)
        tracker.tag(optimizer_state_tensors(opt), "optimizer_state")
        tracker.reset_peak()

        def forward() -> Any:
            return model(*call_args, **call_kwargs)

        def tag_saved(t: torch.Tensor) -> torch.Tensor:
            tracker.tag([t], "activations")
            return t

        def set_phase(phase: str) -> None:
            tracker.phase = phase

        def tag_gradients() -> None:
            tracker.tag([p.grad for p in params if p.grad is not None], "gradients")

        try:
            with swapped(model, swap), torch.autograd.graph.saved_tensors_hooks(tag_saved, lambda t: t), \
                    checkpointed(blocks, on_inputs=lambda ts: tracker.tag(ts, "activations")):
                run_step(forward, opt, prec, loss_kind, "cpu", set_phase, tag_gradients)
        except ArchwiseError:
            raise
        except Exception as err:
            raise ArchwiseError(f"simulating the training step failed: {_first_line(err)}") from err
    parts = _breakdown(tracker)
    notes = tuple(shim.notes)
    return TrainingMemory(tracker.peak, *parts, tracker.peak_phase, dict(tracker.phase_peaks), opt_name.value,
                          prec.value, bool(blocks), notes=notes)


def simulate_inference(model: nn.Module, inputs: Any, *, precision: str = "fp32") -> InferenceMemory:
    """Weights plus the peak of one forward under ``torch.no_grad()``, simulated on fake tensors.

    Example:
        >>> import torch, archwise
        >>> archwise.simulate_inference(torch.nn.Linear(1000, 1000), [(32, 1000)]).weights
        4004000
    """
    prec = parse_enum(Precision, precision, "precision")
    args, kwargs = normalize_inputs(inputs)
    shim = KernelModel()
    fake = FakeTensorMode(allow_non_fake_inputs=True)
    tracker = StorageTracker()
    with gc_paused(), torch.random.fork_rng(devices=[]), torch.no_grad(), fake, tracker, shim:
        swap, _, weight_tensors = _fake_stand_ins(model, prec)
        call_args = [_fake_input(a, prec) for a in args]
        call_kwargs = {k: _fake_input(v, prec) for k, v in kwargs.items()}
        tracker.track([*weight_tensors, *call_args, *call_kwargs.values()])
        tracker.tag(weight_tensors, "weights")
        tracker.reset_peak()
        tracker.phase = "forward"
        try:
            autocast = torch.autocast("cpu", dtype=prec.autocast_dtype) if prec.autocast_dtype else nullcontext()
            with autocast, swapped(model, swap):
                out = model(*call_args, **call_kwargs)
        except Exception as err:
            raise ArchwiseError(f"simulating the forward failed: {_first_line(err)}") from err
        kv = _kv_cache_bytes(out)
        weights = sum(r.nbytes for r in tracker.live_at_peak() if r.tag == "weights")
    return InferenceMemory(tracker.peak, weights, tracker.peak - weights, kv, prec.value, tuple(shim.notes))


# --- helpers ------------------------------------------------------------------------------------
def _fake_stand_ins(model: nn.Module, prec: Precision) -> tuple[dict[str, torch.Tensor], list[torch.Tensor], list]:
    """Fake CPU tensors for every parameter and buffer (tied ones shared), in the precision's dtype."""
    made: dict[int, torch.Tensor] = {}
    swap: dict[str, torch.Tensor] = {}
    params: list[torch.Tensor] = []
    for name, p in model.named_parameters(remove_duplicate=False):
        if id(p) not in made:
            dtype = prec.param_dtype if p.is_floating_point() else p.dtype
            grad = p.requires_grad and p.is_floating_point()
            made[id(p)] = nn.Parameter(torch.empty(p.shape, dtype=dtype, device="cpu"), requires_grad=grad)
            params.append(made[id(p)])
        swap[name] = made[id(p)]
    for name, b in model.named_buffers(remove_duplicate=False):
        if id(b) not in made:
            dtype = prec.param_dtype if b.is_floating_point() else b.dtype
            made[id(b)] = torch.empty(b.shape, dtype=dtype, device="cpu")
        swap[name] = made[id(b)]
    return swap, params, list(made.values())


def _fake_input(item: InputSpec | torch.Tensor, prec: Precision) -> torch.Tensor:
    shape = item.shape
    dtype = item.dtype
    if dtype.is_floating_point and prec.autocast_dtype is None:
        dtype = prec.param_dtype
    if dtype.is_floating_point or dtype.is_complex:
        t = torch.empty(tuple(shape), dtype=dtype, device="cpu")
        return t.requires_grad_(True) if isinstance(item, torch.Tensor) and item.requires_grad else t
    return torch.zeros(tuple(shape), dtype=dtype, device="cpu")


def _breakdown(tracker: StorageTracker) -> tuple[int, ...]:
    sums = dict.fromkeys(CATEGORIES, 0)
    for record in tracker.live_at_peak():
        sums[record.tag if record.tag in sums else "transient"] += record.nbytes
    assert sum(sums.values()) == tracker.peak, "the breakdown must add up to the peak"
    return tuple(sums[c] for c in CATEGORIES)


def _kv_cache_bytes(output: Any) -> int | None:
    cache = getattr(output, "past_key_values", None)
    if cache is None and isinstance(output, dict):
        cache = output.get("past_key_values")
    if cache is None:
        return None
    storages = {id(t.untyped_storage()): t.untyped_storage().nbytes() for t in tensors_in(cache)}
    return sum(storages.values()) or None


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."

