"""Measure a real training step's peak on the CPU, by the allocator's own accounting.

This is the reference the simulation is checked against, so it shares nothing with it but the
step itself: the bytes come from ``torch.profiler``'s allocation events (every allocation and
free the CPU allocator reports, in order), not from tracking tensors. The model is not changed:
the step runs on copies of its parameters and buffers.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import nn
from torch._C._profiler import _EventType
from torch.profiler import ProfilerActivity, profile

from ..spec import InputSpec, normalize_inputs
from ._native import quiet_profile
from ._step import (
    LossKind, OptimizerName, Precision, checkpoint_blocks, checkpoint_kwargs, checkpointed, gc_paused, stand_ins,
    swapped, trainable, make_optimizer, optimizer_state_tensors,
    parse_enum, run_step, warm_up,
)

__all__ = ["measure_training_peak", "measure_inference_peak"]


def measure_training_peak(model: nn.Module, inputs: Any, *, optimizer: str = "adamw", precision: str = "fp32",
                          checkpointing: bool = False, loss: str = "auto", seed: int = 0) -> int:
    """Run one steady-state training step for real on the CPU and return its peak bytes.

    Peak = bytes resident when the step starts (parameters, buffers, inputs, optimizer state) plus
    the highest running total of the allocations and frees the profiler records during the step.

    Example:
        >>> import torch
        >>> from archwise.profile.measure import measure_training_peak
        >>> measure_training_peak(torch.nn.Linear(1000, 1000), [(32, 1000)], optimizer="sgd") > 8_000_000
        True
    """
    opt_name = parse_enum(OptimizerName, optimizer, "optimizer")
    prec = parse_enum(Precision, precision, "precision")
    loss_kind = parse_enum(LossKind, loss, "loss")
    swap, params, call_args, call_kwargs = _prepare(model, inputs, prec, seed)
    opt = make_optimizer(opt_name, params, foreach=False)
    with gc_paused(), torch.random.fork_rng(devices=[]):
        warm_up(opt)
        resident = _unique_bytes([*swap.values(), *call_args, *call_kwargs.values(), *optimizer_state_tensors(opt)])
        blocks = checkpoint_blocks(model) if checkpointing else []
        if blocks:
            call_kwargs = {**checkpoint_kwargs(model), **call_kwargs}

        def forward() -> Any:
            return model(*call_args, **call_kwargs)

        with swapped(model, swap), checkpointed(blocks), \
                quiet_profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            run_step(forward, opt, prec, loss_kind, "cpu")
    return resident + _peak_of_allocations(prof)


def measure_inference_peak(model: nn.Module, inputs: Any, *, precision: str = "fp32", seed: int = 0) -> int:
    """Run one forward under ``torch.no_grad()`` for real on the CPU and return its peak bytes
    (resident weights and inputs plus the allocator's highest running total during the forward).

    Example:
        >>> import torch
        >>> from archwise.profile.measure import measure_inference_peak
        >>> measure_inference_peak(torch.nn.Linear(1000, 1000), [(32, 1000)]) > 4_000_000
        True
    """
    prec = parse_enum(Precision, precision, "precision")
    swap, _, call_args, call_kwargs = _prepare(model, inputs, prec, seed)
    resident = _unique_bytes([*swap.values(), *call_args, *call_kwargs.values()])
    autocast = torch.autocast("cpu", dtype=prec.autocast_dtype) if prec.autocast_dtype else contextlib.nullcontext()
    with gc_paused(), torch.no_grad(), torch.random.fork_rng(devices=[]), autocast, \
            swapped(model, swap), quiet_profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        out = model(*call_args, **call_kwargs)
    del out
    return resident + _peak_of_allocations(prof)


def _prepare(model: nn.Module, inputs: Any, prec: Precision, seed: int
             ) -> tuple[dict[str, torch.Tensor], list[torch.Tensor], list[torch.Tensor], dict[str, torch.Tensor]]:
    """Copies of the model's tensors and real inputs for one run: (swap, parameters, args, kwargs)."""
    args, kwargs = normalize_inputs(inputs)
    generator = torch.Generator().manual_seed(seed)
    swap, params = copies(model, prec)
    call_args = [_real_input(a, prec, generator) for a in args]
    call_kwargs = {k: _real_input(v, prec, generator) for k, v in kwargs.items()}
    return swap, params, call_args, call_kwargs


def copies(model: nn.Module, prec: Precision) -> tuple[dict[str, torch.Tensor], list[torch.Tensor]]:
    """CPU copies of every parameter and buffer in the precision's dtype (random where the model has
    no weights), so a real step changes none of the model's own tensors."""
    def dtype(t: torch.Tensor) -> torch.dtype:
        return prec.param_dtype if t.is_floating_point() else t.dtype

    def param(p: torch.Tensor) -> torch.Tensor:
        data = torch.randn(p.shape, dtype=dtype(p)) * 0.02 if p.is_meta else p.detach().to("cpu", dtype(p)).clone()
        return trainable(data, p)

    def buffer(b: torch.Tensor) -> torch.Tensor:
        return torch.ones(b.shape, dtype=dtype(b)) if b.is_meta else b.detach().to("cpu", dtype(b)).clone()

    return stand_ins(model, param, buffer)


def _real_input(item: InputSpec | torch.Tensor, prec: Precision, generator: torch.Generator) -> torch.Tensor:
    if isinstance(item, torch.Tensor):
        t = item.detach().cpu().clone()
    else:
        t = item.real(generator)
    if t.is_floating_point() and prec.autocast_dtype is None:
        t = t.to(prec.param_dtype)
    return t


def _unique_bytes(tensors: list[torch.Tensor]) -> int:
    storages = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in tensors}
    return sum(storages.values())


def allocation_sizes(prof: profile) -> list[int]:
    """The CPU allocator's allocations (+) and frees (−) the profiler recorded, in time order."""
    events = []
    stack = list(prof.profiler.kineto_results.experimental_event_tree())
    while stack:
        event = stack.pop()
        if event.tag == _EventType.Allocation and event.extra_fields.device.type == "cpu":
            events.append((event.start_time_ns, event.extra_fields.alloc_size))
        stack.extend(event.children)
    return [size for _, size in sorted(events, key=lambda e: e[0])]


def _peak_of_allocations(prof: profile) -> int:
    running = peak = 0
    for size in allocation_sizes(prof):
        running += size
        peak = max(peak, running)
    return peak
