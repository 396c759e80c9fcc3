"""One training step, the same for the simulation and for a real measurement.

forward (under autocast for mixed precision) → loss → backward → ``optimizer.step()`` →
``optimizer.zero_grad(set_to_none=True)``. Options are ``str`` enums shared by the CLI and the API.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from enum import Enum
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ArchwiseError
from ..spec import parse_enum  # noqa: F401 (fit.py and latency.py import it from here)
from ._trace import tensors_in

__all__ = ["Precision", "OptimizerName", "LossKind", "make_optimizer", "compute_loss", "run_step", "parse_enum"]


class Precision(str, Enum):
    FP32 = "fp32"
    BF16 = "bf16"  # weights, gradients, optimizer state and activations all in bfloat16
    FP16 = "fp16"
    BF16_MIXED = "bf16-mixed"  # fp32 master weights; autocast runs matmuls and convolutions in bfloat16
    FP16_MIXED = "fp16-mixed"

    @property
    def param_dtype(self) -> torch.dtype:
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.value, torch.float32)

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        return {"bf16-mixed": torch.bfloat16, "fp16-mixed": torch.float16}.get(self.value)


class OptimizerName(str, Enum):
    SGD = "sgd"
    MOMENTUM = "momentum"
    ADAM = "adam"
    ADAMW = "adamw"
    ADAFACTOR = "adafactor"


class LossKind(str, Enum):
    AUTO = "auto"  # cross-entropy over the last dim of logits-like outputs, else mean squared error
    CROSS_ENTROPY = "ce"
    MSE = "mse"


def make_optimizer(name: OptimizerName, params: Sequence[torch.Tensor], foreach: bool) -> torch.optim.Optimizer:
    """The optimizer ``name`` with PyTorch's defaults; ``foreach`` as the target device would use it
    (PyTorch picks the foreach implementation on CUDA and the per-tensor loop on the CPU)."""
    trainable = [p for p in params if p.requires_grad]
    if not trainable:
        raise ArchwiseError("the model has no trainable parameters, so there is no training step to simulate")
    if name is OptimizerName.SGD:
        return torch.optim.SGD(trainable, lr=1e-3, foreach=foreach)
    if name is OptimizerName.MOMENTUM:
        return torch.optim.SGD(trainable, lr=1e-3, momentum=0.9, foreach=foreach)
    if name is OptimizerName.ADAM:
        return torch.optim.Adam(trainable, lr=1e-3, foreach=foreach)
    if name is OptimizerName.ADAMW:
        return torch.optim.AdamW(trainable, lr=1e-3, foreach=foreach)
    return torch.optim.Adafactor(trainable, lr=1e-2, foreach=foreach)


def compute_loss(output: Any, kind: LossKind) -> torch.Tensor:
    """A scalar loss from the model's first floating-point output.

    ``auto``: outputs shaped like logits, (B, C) or (B, T, V) with C, V ≥ 2, get cross-entropy
    against class 0 (what a classifier or a language model pays: a log-softmax the size of the
    logits); anything else gets the mean squared error against zeros.
    """
    out = next((t for t in tensors_in(output) if t.is_floating_point() and t.requires_grad), None)
    if out is None:
        raise ArchwiseError("the model returned no floating-point output that needs a gradient; nothing to train")
    use_ce = kind is LossKind.CROSS_ENTROPY or (kind is LossKind.AUTO and out.dim() >= 2 and out.shape[-1] >= 2)
    if use_ce:
        logits = out.reshape(-1, out.shape[-1])
        target = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
        return F.cross_entropy(logits, target)
    return F.mse_loss(out, torch.zeros_like(out))


def optimizer_state_tensors(optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [v for state in optimizer.state.values() for v in state.values() if isinstance(v, torch.Tensor)]


def warm_up(optimizer: torch.optim.Optimizer) -> None:
    """Create the optimizer's state as its first step would, without a forward or backward:
    zero gradients, one step, gradients dropped. A steady-state step then starts from here."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for p in params:
        p.grad = torch.zeros_like(p)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def run_step(forward: Callable[[], Any], optimizer: torch.optim.Optimizer, precision: Precision, loss: LossKind,
             device_type: str = "cpu", on_phase: Callable[[str], None] = lambda phase: None,
             after_backward: Callable[[], None] = lambda: None) -> None:
    """forward → loss → backward → step → zero_grad, reporting each phase as it starts."""
    on_phase("forward")
    with _autocast(precision, device_type):
        out = forward()
        on_phase("loss")
        value = compute_loss(out, loss)
    on_phase("backward")
    value.backward()
    del value, out
    after_backward()
    on_phase("optimizer")
    optimizer.step()
    on_phase("zero_grad")
    optimizer.zero_grad(set_to_none=True)
    on_phase("")


@contextlib.contextmanager
def _autocast(precision: Precision, device_type: str) -> Iterator[None]:
    if precision.autocast_dtype is None:
        yield
        return
    with torch.autocast(device_type, dtype=precision.autocast_dtype):
        yield


def stand_ins(model: nn.Module, param: Callable[[torch.Tensor], torch.Tensor],
              buffer: Callable[[torch.Tensor], torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[torch.Tensor]]:
    """A stand-in for every parameter and buffer, keyed by name, made by ``param`` and ``buffer``;
    tied tensors share one stand-in, so sharing is kept. Returns the map and the parameter stand-ins."""
    made: dict[int, torch.Tensor] = {}
    swap: dict[str, torch.Tensor] = {}
    params: list[torch.Tensor] = []
    for name, p in model.named_parameters(remove_duplicate=False):
        if id(p) not in made:
            made[id(p)] = param(p)
            params.append(made[id(p)])
        swap[name] = made[id(p)]
    for name, b in model.named_buffers(remove_duplicate=False):
        if id(b) not in made:
            made[id(b)] = buffer(b)
        swap[name] = made[id(b)]
    return swap, params


def trainable(t: torch.Tensor, like: torch.Tensor) -> nn.Parameter:
    """``t`` as a parameter that needs a gradient when ``like`` does (and can have one)."""
    return nn.Parameter(t, requires_grad=like.requires_grad and (t.is_floating_point() or t.is_complex()))


@contextlib.contextmanager
def swapped(model: nn.Module, tensors: dict[str, torch.Tensor]) -> Iterator[None]:
    """The model's parameters and buffers replaced by ``tensors`` for the whole step — forward,
    backward (where checkpointed blocks run their forward again) and optimizer step — and the
    model's own put back on exit. (``torch.func.functional_call`` swaps only for the forward call.)"""
    from torch.nn.utils.stateless import _reparametrize_module

    with _reparametrize_module(model, tensors, tie_weights=True, strict=False):
        yield


def checkpoint_kwargs(model: nn.Module) -> dict[str, Any]:
    """Keyword arguments a checkpointed step passes: ``use_cache=False`` where the forward takes it,
    as transformers' own gradient checkpointing does (a key/value cache would be appended to again
    when a block is recomputed)."""
    import inspect

    try:
        accepts = "use_cache" in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        accepts = False
    return {"use_cache": False} if accepts else {}


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector paused for the step, so tensors held in reference cycles are freed
    at the same moment in every run (at the end) and the peak is reproducible, not a matter of when
    the collector happened to run. The young generations are collected once before (what the last
    step left in cycles is there: the collector is off during a step); a full collection costs
    0.2 s with torch loaded and, run per simulation, was most of a batch-size search's time."""
    import gc

    gc.collect(1)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def checkpoint_blocks(model: nn.Module) -> list[nn.Module]:
    """The model's repeated top-level blocks: the children of the container (ModuleList or
    Sequential) of two or more modules of one class that holds the most parameters — the layers of
    a Transformer, the stages of a ResNet."""
    best: list[nn.Module] = []
    best_params = 0
    for module in model.modules():
        if not isinstance(module, (nn.ModuleList, nn.Sequential)):
            continue
        children = list(module.children())
        if len(children) < 2 or len({type(c) for c in children}) != 1:
            continue
        params = sum(p.numel() for c in children for p in c.parameters())
        if params > best_params:
            best, best_params = children, params
    return best


@contextlib.contextmanager
def checkpointed(blocks: Sequence[nn.Module], on_inputs: Callable[[list[torch.Tensor]], None] = lambda ts: None
                 ) -> Iterator[None]:
    """Run each block under ``torch.utils.checkpoint`` (non-reentrant) for the duration, by shadowing
    its ``forward`` with an instance attribute; the class's ``forward`` is back on exit."""
    from torch.utils.checkpoint import checkpoint

    shadowed = []
    for block in blocks:
        if "forward" in vars(block):
            continue  # already shadowed (a block listed twice); leave it
        original = block.forward

        def forward(*args: Any, _original: Callable = original, **kwargs: Any) -> Any:
            on_inputs(tensors_in((args, kwargs)))
            return checkpoint(_original, *args, use_reentrant=False, **kwargs)

        block.forward = forward
        shadowed.append(block)
    try:
        yield
    finally:
        for block in shadowed:
            del block.forward
