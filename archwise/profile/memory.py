"""Training and inference memory, simulated by running the real step on fake tensors.

The model's parameters and buffers are swapped for fake CPU tensors (``FakeTensorMode``: real
shapes, dtypes and device, no data), and one steady-state training step runs for real — forward
under ``torch.autocast`` for mixed precision, loss, backward, ``optimizer.step()``,
``zero_grad()`` — while a ``StorageTracker`` follows the bytes of every live storage. The
optimizer's state is created first, as the first step would, so the measured step is the second,
steady-state one. Fake CPU tensors take the same kernels as a real CPU run (PyTorch's own autocast,
the fused CPU attention and RNN kernels), so what autograd saves is what a real step saves.

The peak is broken down by what each live storage was at that moment: weights (and buffers),
weight copies (autocast's low-precision casts of them), gradients, optimizer state, activations
saved for backward, and transient (everything else: the input batch, outputs, temporaries). The
parts add up to the peak, and each phase's own peak is broken down the same way.
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
    LossKind, OptimizerName, Precision, checkpoint_blocks, checkpoint_kwargs, checkpointed, gc_paused, stand_ins,
    swapped, trainable, make_optimizer, optimizer_state_tensors,
    parse_enum, run_step, warm_up,
)
from ._trace import tensors_in

__all__ = ["TrainingMemory", "InferenceMemory", "simulate_training", "simulate_inference", "CATEGORIES"]

CATEGORIES = ("weights", "weight_copies", "gradients", "optimizer_state", "activations", "transient")
aten = torch.ops.aten


@dataclass(frozen=True)
class TrainingMemory:
    """The peak of one steady-state training step and what it is made of (bytes)."""

    peak_bytes: int
    weights: int  # parameters and buffers
    weight_copies: int  # weights cast to another dtype (autocast's cached bf16/fp16 copies)
    gradients: int
    optimizer_state: int
    activations: int  # saved for backward
    transient: int  # inputs, outputs and temporaries live at the peak
    peak_phase: str  # "forward" | "loss" | "backward" | "optimizer" | "zero_grad"
    phases: dict[str, dict[str, int]]  # each phase's own peak, broken down the same way
    optimizer: str
    precision: str
    checkpointing: bool
    target: str = "cpu"  # whose kernels were modelled: "cpu" or "gpu"
    allocator_rounding: int = 0  # what the CUDA caching allocator's 512-byte blocks add to the live set at the peak
    notes: tuple[str, ...] = ()

    def parts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in CATEGORIES}

    def to_dict(self) -> dict[str, Any]:
        return {"peak_bytes": self.peak_bytes, **self.parts(), "peak_phase": self.peak_phase,
                "phases": {k: dict(v) for k, v in self.phases.items()}, "optimizer": self.optimizer,
                "precision": self.precision,
                "checkpointing": self.checkpointing, "target": self.target,
                "allocator_rounding": self.allocator_rounding, "notes": list(self.notes)}


@dataclass(frozen=True)
class InferenceMemory:
    """Weights plus the peak of one forward under ``torch.no_grad()`` (bytes)."""

    peak_bytes: int
    weights: int
    weight_copies: int  # autocast's cached low-precision casts of the weights
    activations: int  # everything else live at the peak
    kv_cache_bytes: int | None  # key/value cache a decoder returns, when it returns one
    precision: str
    target: str = "cpu"
    allocator_rounding: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"peak_bytes": self.peak_bytes, "weights": self.weights, "weight_copies": self.weight_copies,
                "activations": self.activations,
                "kv_cache_bytes": self.kv_cache_bytes, "precision": self.precision, "target": self.target,
                "allocator_rounding": self.allocator_rounding, "notes": list(self.notes)}


def simulate_training(model: nn.Module, inputs: Any, *, optimizer: str = "adamw", precision: str = "fp32",
                      checkpointing: bool = False, loss: str = "auto", target: str = "cpu",
                      foreach: bool | None = None) -> TrainingMemory:
    """Simulate one steady-state training step of ``model`` at ``inputs`` and return its peak memory.

    Args:
        model: any ``nn.Module``, with real weights or built on the meta device; it is not changed.
        inputs: as for :func:`archwise.profile`; the batch is part of the shapes.
        optimizer: ``sgd``, ``momentum``, ``adam``, ``adamw`` or ``adafactor`` (PyTorch's defaults).
        precision: ``fp32``, ``bf16``, ``fp16`` (everything in that dtype) or ``bf16-mixed``,
            ``fp16-mixed`` (fp32 master weights and optimizer state, autocast forward).
        checkpointing: run each repeated top-level block under ``torch.utils.checkpoint``.
        loss: ``auto`` (cross-entropy for logits-like outputs, else MSE), ``ce`` or ``mse``.
        target: ``cpu`` models this machine's CPU kernels (oneDNN's LSTM workspace, its convolution
            buffers, measured per layer); ``edge`` another CPU (a phone): oneDNN's LSTM layout, but its
            convolution buffers are not measured here, as its own kernels differ; ``gpu`` uses the optimizer's foreach path as PyTorch does on CUDA and
            reports the caching allocator's block rounding.
        foreach: override the optimizer implementation the target implies.

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
    target = _target(target)
    shim = KernelModel(target)
    fake = FakeTensorMode(allow_non_fake_inputs=True)
    tracker = StorageTracker()
    blocks = checkpoint_blocks(model) if checkpointing else []
    if checkpointing and not blocks:
        raise ArchwiseError("--checkpointing found no repeated blocks (a ModuleList or Sequential of modules of one "
                            "class) to checkpoint in this model")
    with gc_paused(), torch.random.fork_rng(devices=[]), fake, tracker, shim:
        swap, params, call_args, call_kwargs = _fake_step_inputs(model, args, kwargs, prec, tracker)
        if blocks:
            call_kwargs = {**checkpoint_kwargs(model), **call_kwargs}
        opt = make_optimizer(opt_name, params, target == "gpu" if foreach is None else foreach)
        shim.scalars = True
        warm_up(opt)
        shim.scalars = False
        tracker.tag(optimizer_state_tensors(opt), "optimizer_state")
        tracker.reset_peak()

        def forward() -> Any:
            return model(*call_args, **call_kwargs)

        def tag_saved(t: torch.Tensor) -> torch.Tensor:
            tracker.tag([t], "activations")
            return t

        def set_phase(phase: str) -> None:
            tracker.phase = phase
            shim.scalars = phase == "optimizer"

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
    phases = {phase: dict(zip(CATEGORIES, _breakdown(tracker, event)))
              for phase, event in tracker.phase_peak_events.items() if phase}
    notes = (*shim.notes, *_target_notes(target, prec, model))
    return TrainingMemory(tracker.peak, *parts, tracker.peak_phase, phases, opt_name.value,
                          prec.value, bool(blocks), target, _rounding(tracker), notes)


def simulate_inference(model: nn.Module, inputs: Any, *, precision: str = "fp32", target: str = "cpu") -> InferenceMemory:
    """Weights plus the peak of one forward under ``torch.no_grad()``, simulated on fake tensors.

    Example:
        >>> import torch, archwise
        >>> archwise.simulate_inference(torch.nn.Linear(1000, 1000), [(32, 1000)]).weights
        4004000
    """
    prec = parse_enum(Precision, precision, "precision")
    args, kwargs = normalize_inputs(inputs)
    target = _target(target)
    shim = KernelModel(target)
    fake = FakeTensorMode(allow_non_fake_inputs=True)
    tracker = StorageTracker()
    with gc_paused(), torch.random.fork_rng(devices=[]), torch.no_grad(), fake, tracker, shim:
        swap, _, call_args, call_kwargs = _fake_step_inputs(model, args, kwargs, prec, tracker)
        tracker.reset_peak()
        tracker.phase = "forward"
        try:
            autocast = torch.autocast("cpu", dtype=prec.autocast_dtype) if prec.autocast_dtype else nullcontext()
            with autocast, swapped(model, swap):
                out = model(*call_args, **call_kwargs)
        except Exception as err:
            raise ArchwiseError(f"simulating the forward failed: {_first_line(err)}") from err
        kv = _kv_cache_bytes(out)
        live = tracker.live_at_peak()
        weights = sum(r.nbytes for r in live if r.tag == "weights")
        copies = sum(r.nbytes for r in live if r.tag == "weight_copies")
    notes = (*shim.notes, *_target_notes(target, prec, model))
    return InferenceMemory(tracker.peak, weights, copies, tracker.peak - weights - copies, kv, prec.value, target,
                           _rounding(tracker), notes)


# --- helpers ------------------------------------------------------------------------------------
def _fake_step_inputs(model: nn.Module, args: list, kwargs: dict, prec: Precision, tracker: StorageTracker
                      ) -> tuple[dict[str, torch.Tensor], list[torch.Tensor], list, dict]:
    """Inside the fake mode: stand-ins for the model's tensors and fake inputs, registered with the
    tracker (the weights tagged as such). Returns (swap, parameters, args, kwargs)."""
    swap, params, weight_tensors = _fake_stand_ins(model, prec)
    call_args = [_fake_input(a, prec) for a in args]
    call_kwargs = {k: _fake_input(v, prec) for k, v in kwargs.items()}
    tracker.track([*weight_tensors, *call_args, *call_kwargs.values()])
    tracker.tag(weight_tensors, "weights")
    return swap, params, call_args, call_kwargs


def _fake_stand_ins(model: nn.Module, prec: Precision) -> tuple[dict[str, torch.Tensor], list[torch.Tensor], list]:
    """Fake CPU tensors for every parameter and buffer (tied ones shared), in the precision's dtype."""
    def dtype(t: torch.Tensor) -> torch.dtype:
        return prec.param_dtype if t.is_floating_point() else t.dtype

    swap, params = stand_ins(model, lambda p: trainable(torch.empty(p.shape, dtype=dtype(p), device="cpu"), p),
                             lambda b: torch.empty(b.shape, dtype=dtype(b), device="cpu"))
    return swap, params, list({id(t): t for t in swap.values()}.values())


def _fake_input(item: InputSpec | torch.Tensor, prec: Precision) -> torch.Tensor:
    shape = item.shape
    dtype = item.dtype
    if dtype.is_floating_point and prec.autocast_dtype is None:
        dtype = prec.param_dtype
    if dtype.is_floating_point or dtype.is_complex:
        t = torch.empty(tuple(shape), dtype=dtype, device="cpu")
        return t.requires_grad_(True) if isinstance(item, torch.Tensor) and item.requires_grad else t
    return torch.zeros(tuple(shape), dtype=dtype, device="cpu")


def _breakdown(tracker: StorageTracker, event: int | None = None) -> tuple[int, ...]:
    """Bytes per category of the storages live at ``event`` (default: the peak)."""
    sums = dict.fromkeys(CATEGORIES, 0)
    for record in tracker.live_at(tracker.peak_event if event is None else event):
        sums[record.tag if record.tag in sums else "transient"] += record.nbytes
    if event is None:
        assert sum(sums.values()) == tracker.peak, "the breakdown must add up to the peak"
    return tuple(sums[c] for c in CATEGORIES)


def _target(target: str) -> str:
    key = str(target).strip().lower()
    if key not in ("cpu", "gpu", "edge"):
        raise ArchwiseError(f"unknown simulation target '{target}'; known: cpu, gpu, edge")
    return key


def _rounding(tracker: StorageTracker) -> int:
    """What the CUDA caching allocator adds to the blocks live at the peak: every request is rounded
    up to a multiple of 512 bytes (kMinBlockSize in c10/cuda/CUDACachingAllocator.cpp)."""
    return sum(-(-r.nbytes // 512) * 512 - r.nbytes for r in tracker.live_at_peak())


def _target_notes(target: str, prec: Precision, model: nn.Module) -> list[str]:
    if target == "edge" and any(isinstance(m, nn.modules.conv._ConvNd) for m in model.modules()):
        return ["the device's own convolution buffers are not included (they are measured only for this machine's "
                "CPU, whose oneDNN kernels differ from the device's)"]
    if target != "gpu":
        return []
    notes = []
    if prec.autocast_dtype is not None:
        notes.append("autocast follows PyTorch's CPU op lists (this machine has no CUDA build); CUDA's also run "
                     "layer_norm, softmax and sums in fp32, which can add transient bytes")
    if any(isinstance(m, nn.modules.conv._ConvNd) for m in model.modules()):
        notes.append("cuDNN convolution workspaces are not included (cuDNN picks them at run time)")
    if any(isinstance(m, nn.LSTM) for m in model.modules()):
        notes.append("the LSTM workspace follows oneDNN's layout; cuDNN's reserve space differs")
    return notes


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

