"""Does it fit? The hardware verdict, the largest batch, the remedies, and multi-GPU plans.

The simulated peak is the tensors a step holds. On a GPU the process also holds what the CUDA
caching allocator adds (its 512-byte block rounding), PyTorch's cuBLAS workspace and the CUDA
context; each is a line of its own with its source, and they add up to what is required. A fit
keeps ``headroom`` (default 10 %) of the device free for fragmentation and everything not modelled.

Sharding over N data-parallel GPUs, from the simulated breakdown (W weights, G gradients,
O optimizer state, A activations, R transient, U the largest repeated block; ZeRO: Rajbhandari
et al., 2020, section 5; PyTorch DDP and FSDP documentation):

    ddp    W + C + G + O + A + R + G_all            DDP keeps a bucketed copy of every gradient
    zero1  W + C + G + O/N + A + R + G_all          optimizer state sharded (ZeroRedundancyOptimizer + DDP)
    zero2  W + C + G/N + O/N + A + R + grad(U)      gradients too; a block's gradient is whole while reduced
    zero3  (W + G + O)/N + A + R + 2·U + grad(U)    parameters too; a block and the next (prefetch) are
    fsdp   the same as zero3 (FSDP's FULL_SHARD)      gathered in the compute dtype, so no full copies C

C is autocast's low-precision weight copies. Each phase (forward, loss, backward, optimizer) is
computed from its own breakdown and the highest is the per-GPU requirement; in the optimizer phase
the temporaries R shard with the optimizer state under ZeRO.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from ..devices import CUDA_CONTEXT_BYTES, CUDA_CONTEXT_SOURCE, Device, get_device
from ..errors import ArchwiseError
from ..spec import normalize_inputs, parse_bytes, with_batch
from ._step import OptimizerName, Precision, checkpoint_blocks, parse_enum
from .memory import InferenceMemory, TrainingMemory, simulate_inference, simulate_training

__all__ = ["FitReport", "MemoryLine", "Remedy", "ShardingPlan", "fit", "per_gpu_bytes", "STRATEGIES"]

STRATEGIES = ("ddp", "zero1", "zero2", "zero3", "fsdp")
MAX_GPUS = 1 << 16


@dataclass(frozen=True)
class MemoryLine:
    name: str
    bytes: int
    source: str


@dataclass(frozen=True)
class Remedy:
    name: str  # the seed's remedy
    detail: str  # what exactly, with its figure
    required_bytes: int | None  # per GPU after the remedy (None: it cannot help)
    fits: bool


@dataclass(frozen=True)
class ShardingPlan:
    strategy: str
    gpus: int
    per_gpu_bytes: int
    fits: bool
    fewest_gpus: int | None  # the fewest GPUs of this device that fit with this strategy (None: none do)


@dataclass(frozen=True)
class FitReport:
    """The verdict for one model, batch and setting on one device."""

    device: str
    device_title: str
    mode: str  # "training" | "inference"
    capacity_bytes: int
    headroom: float
    usable_bytes: int
    lines: tuple[MemoryLine, ...]  # they add up to required_bytes (for one GPU, unsharded)
    required_bytes: int
    fits: bool
    batch_size: int
    max_batch_size: int | None  # None: not even a batch of 1 fits
    remedies: tuple[Remedy, ...]
    gpus: int
    sharding: str | None
    per_gpu_bytes: int | None  # with the chosen sharding over ``gpus``
    plans: tuple[ShardingPlan, ...]  # every strategy over ``gpus``, with its fewest GPUs
    memory: TrainingMemory | InferenceMemory | None = None  # the simulation the verdict is for (its notes are there)
    notes: tuple[str, ...] = field(default_factory=tuple)  # about the device's memory

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device, "device_title": self.device_title, "mode": self.mode,
            "capacity_bytes": self.capacity_bytes, "headroom": self.headroom, "usable_bytes": self.usable_bytes,
            "lines": [{"name": x.name, "bytes": x.bytes, "source": x.source} for x in self.lines],
            "required_bytes": self.required_bytes, "fits": self.fits, "batch_size": self.batch_size,
            "max_batch_size": self.max_batch_size,
            "remedies": [{"name": r.name, "detail": r.detail, "required_bytes": r.required_bytes, "fits": r.fits}
                         for r in self.remedies],
            "gpus": self.gpus, "sharding": self.sharding, "per_gpu_bytes": self.per_gpu_bytes,
            "plans": [{"strategy": p.strategy, "gpus": p.gpus, "per_gpu_bytes": p.per_gpu_bytes, "fits": p.fits,
                       "fewest_gpus": p.fewest_gpus} for p in self.plans],
            "notes": list(self.notes),
        }


def fit(model: nn.Module, inputs: Any, *, device: str | None = None, memory: str | int | None = None,
        train: bool = True, optimizer: str = "adamw", precision: str = "fp32", checkpointing: bool = False,
        headroom: float = 0.1, gpus: int = 1, sharding: str | None = None, loss: str = "auto",
        search_batch: bool = True, remedies: bool = True) -> FitReport:
    """Whether ``model`` at ``inputs`` fits on ``device`` (or in ``memory``), and what would make it.

    Example:
        >>> import torch, archwise
        >>> r = archwise.fit(torch.nn.Linear(1000, 1000), [(32, 1000)], device="t4")
        >>> r.fits, sum(x.bytes for x in r.lines) == r.required_bytes
        (True, True)
    """
    dev = _device(device, memory)
    if not 0 <= headroom < 1:
        raise ArchwiseError(f"headroom must be a fraction in [0, 1), such as 0.1, found {headroom}")
    if gpus < 1:
        raise ArchwiseError(f"--gpus must be at least 1, found {gpus}")
    if sharding is not None and sharding not in STRATEGIES:
        raise ArchwiseError(f"unknown sharding '{sharding}'; known: {', '.join(STRATEGIES)}")
    if sharding is not None and not train:
        raise ArchwiseError("--sharding applies to training; inference has no gradients or optimizer state to shard")
    prec = parse_enum(Precision, precision, "precision")
    parse_enum(OptimizerName, optimizer, "optimizer")
    args, kwargs = normalize_inputs(inputs)
    if kwargs:
        raise ArchwiseError("fit searches over the batch size of positional inputs; pass inputs by position")
    usable = int(dev.memory_bytes * (1 - headroom))
    target = simulation_target(dev)

    def simulate(batch: int | None = None, **override: Any) -> TrainingMemory | InferenceMemory:
        shaped = args if batch is None else with_batch(args, batch)
        options = {"precision": prec.value, "checkpointing": checkpointing, **override}
        if not train:
            return simulate_inference(model, shaped, target=target, precision=options["precision"])
        return simulate_training(model, shaped, optimizer=optimizer, loss=loss, target=target, **options)

    batch = int(args[0].shape[0])
    base = simulate()
    lines = _lines(base, dev)
    required = sum(x.bytes for x in lines)
    overhead = required - base.peak_bytes
    unit = _unit_bytes(model, prec) if train else (0, 0)
    trainable = _trainable_bytes(model, prec)

    def need(m: TrainingMemory | InferenceMemory, n: int = gpus, strategy: str | None = sharding) -> int:
        if strategy is None or not isinstance(m, TrainingMemory):
            return m.peak_bytes + overhead
        return per_gpu_bytes(m, strategy, n, trainable, unit) + overhead

    chosen = need(base)
    fits = chosen <= usable
    max_batch = _max_batch(lambda b: need(simulate(b)), usable, batch, chosen) if search_batch else None
    plans = tuple(_plan(base, s, gpus, usable, overhead, trainable, unit) for s in STRATEGIES) if train else ()
    found = () if fits or not remedies else _remedies(simulate, need, base, prec, usable, batch, max_batch, checkpointing,
                                         model, plans, train, overhead, trainable, unit)
    return FitReport(
        device=dev.name, device_title=dev.title, mode="training" if train else "inference",
        capacity_bytes=dev.memory_bytes, headroom=headroom, usable_bytes=usable, lines=tuple(lines),
        required_bytes=required, fits=fits, batch_size=batch, max_batch_size=max_batch, remedies=tuple(found),
        gpus=gpus, sharding=sharding, per_gpu_bytes=chosen if sharding else None, plans=plans, memory=base,
        notes=dev.memory_notes,
    )


def per_gpu_bytes(m: TrainingMemory, strategy: str, gpus: int, trainable_bytes: int,
                  unit: tuple[int, int] = (0, 0)) -> int:
    """Bytes per GPU of the simulated step under a data-parallel strategy over ``gpus`` GPUs: the
    highest of its phases, each phase's own breakdown sharded as the strategy shards it (under
    ZeRO each GPU steps only its shard, so the optimizer's temporaries shard too).

    ``trainable_bytes`` is every gradient at once; ``unit`` is the largest repeated block's
    (gathered parameters in the compute dtype, gradient) bytes.

    Example:
        >>> parts = dict(weights=4, weight_copies=0, gradients=4, optimizer_state=8, activations=0, transient=0)
        >>> m = TrainingMemory(16, 4, 0, 4, 8, 0, 0, "backward", {"backward": parts}, "adamw", "fp32", False)
        >>> [per_gpu_bytes(m, s, 4, 4) for s in ("ddp", "zero1", "zero2", "zero3")]
        [20, 14, 7, 4]
    """
    if strategy not in STRATEGIES:
        raise ArchwiseError(f"unknown sharding '{strategy}'; known: {', '.join(STRATEGIES)}")
    phases = m.phases or {m.peak_phase: m.parts()}
    return max(_sharded(parts, phase, strategy, gpus, trainable_bytes, unit) for phase, parts in phases.items())


def _sharded(parts: dict[str, int], phase: str, strategy: str, n: int, trainable: int, unit: tuple[int, int]) -> int:
    w, c, g, o, a, r = (parts.get(k, 0) for k in
                        ("weights", "weight_copies", "gradients", "optimizer_state", "activations", "transient"))
    stepping = phase in ("optimizer", "zero_grad")
    gathered, unit_grad = unit if (n > 1 and not stepping) else (0, 0)
    if strategy == "ddp":
        return w + c + g + o + a + r + trainable
    r = math.ceil(r / n) if stepping else r
    if strategy == "zero1":
        return w + c + g + math.ceil(o / n) + a + r + trainable
    if strategy == "zero2":
        return w + c + math.ceil(g / n) + math.ceil(o / n) + a + r + unit_grad
    # zero3, fsdp: whole weights (and their low-precision copies) exist only a block at a time
    copies = c if n == 1 else 0
    return math.ceil((w + g + o) / n) + copies + a + r + 2 * gathered + unit_grad


# --- pieces -------------------------------------------------------------------------------------
def simulation_target(dev: Device) -> str:
    """Whose kernels the memory simulation models: a GPU's, this machine's CPU, or another CPU's."""
    return "gpu" if dev.is_gpu else "cpu" if dev.name == "cpu" else "edge"


def _device(device: str | None, memory: str | int | None) -> Device:
    if device and memory:
        raise ArchwiseError("give --device or --memory, not both (--memory describes a device of that size)")
    if device:
        return get_device(device)
    if memory is None:
        raise ArchwiseError("a fit needs a device: --device NAME (see archwise devices) or --memory 24GB")
    size = parse_bytes(memory)
    generic = get_device("a100-80gb")  # only its kind and overhead figures are used
    return Device(name=f"gpu-{memory}".replace(" ", ""), title=f"a GPU with {memory} of memory", kind="gpu",
                  memory_bytes=size, peak_flops={}, bandwidth=0.0, sources={"memory": "given with --memory"},
                  compute_capability=(8, 0), launch_overhead_s=generic.launch_overhead_s,
                  memory_notes=("--memory describes a GPU: CUDA context and cuBLAS workspace as on an Ampere GPU",))


def _lines(m: TrainingMemory | InferenceMemory, dev: Device) -> list[MemoryLine]:
    kind = "training step" if isinstance(m, TrainingMemory) else "forward"
    lines = [MemoryLine(f"tensors at the peak of the {kind}", m.peak_bytes, "simulated (archwise)")]
    if dev.is_gpu:
        lines += [
            MemoryLine("allocator block rounding", m.allocator_rounding,
                       "each request rounded up to 512 B (kMinBlockSize, c10/cuda/CUDACachingAllocator.cpp)"),
            MemoryLine("cuBLAS workspace", dev.cublas_workspace_bytes,
                       "PyTorch default: 32 MiB on Hopper, :4096:2:16:8 otherwise (ATen CublasHandlePool.cpp)"),
            MemoryLine("CUDA context", CUDA_CONTEXT_BYTES, CUDA_CONTEXT_SOURCE),
        ]
    return lines


def _unit_bytes(model: nn.Module, prec: Precision) -> tuple[int, int]:
    """(gathered bytes, gradient bytes) of the largest repeated block: what ZeRO-3/FSDP holds whole."""
    blocks = checkpoint_blocks(model) or [model]
    numel = max(sum(p.numel() for p in b.parameters()) for b in blocks)
    compute = 2 if (prec.autocast_dtype is not None or prec.param_dtype.itemsize == 2) else 4
    return numel * compute, numel * prec.param_dtype.itemsize


def _trainable_bytes(model: nn.Module, prec: Precision) -> int:
    unique = {id(p): p for p in model.parameters() if p.requires_grad and p.is_floating_point()}
    return sum(p.numel() for p in unique.values()) * prec.param_dtype.itemsize


def _plan(m: TrainingMemory | InferenceMemory, strategy: str, gpus: int, usable: int, overhead: int,
          trainable: int, unit: tuple[int, int]) -> ShardingPlan:
    assert isinstance(m, TrainingMemory)
    at = per_gpu_bytes(m, strategy, gpus, trainable, unit) + overhead
    return ShardingPlan(strategy, gpus, at, at <= usable, _fewest_gpus(m, strategy, usable, overhead, trainable, unit))


def _fewest_gpus(m: TrainingMemory, strategy: str, usable: int, overhead: int, trainable: int,
                 unit: tuple[int, int]) -> int | None:
    def need(n: int) -> int:
        return per_gpu_bytes(m, strategy, n, trainable, unit) + overhead

    if need(MAX_GPUS) > usable:
        return None
    lo, hi = 1, MAX_GPUS  # need() does not grow with n
    while lo < hi:
        mid = (lo + hi) // 2
        if need(mid) <= usable:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _scaled(m: TrainingMemory | InferenceMemory, f: float) -> TrainingMemory | InferenceMemory:
    """The same step for a model with ``f`` times the parameters and the same activations: weights,
    their copies, gradients, optimizer state and the optimizer's temporaries scale; the rest does not."""
    from dataclasses import replace

    if isinstance(m, InferenceMemory):
        weights, copies = int(m.weights * f), int(m.weight_copies * f)
        return replace(m, weights=weights, weight_copies=copies, peak_bytes=weights + copies + m.activations)

    def phase(name: str, parts: dict[str, int]) -> dict[str, int]:
        scaled = {k: int(v * f) if k in ("weights", "weight_copies", "gradients", "optimizer_state") or
                  (k == "transient" and name in ("optimizer", "zero_grad")) else v for k, v in parts.items()}
        return scaled

    phases = {name: phase(name, parts) for name, parts in m.phases.items()}
    top = phase(m.peak_phase, m.parts())
    return replace(m, peak_bytes=sum(top.values()), phases=phases, **top)


def _largest_fraction(fits: Callable[[float], bool]) -> float | None:
    """The largest fraction of the model's parameters that fits, to 0.1 %; None if none does."""
    if not fits(1e-4):
        return None
    lo, hi = 1e-4, 1.0
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def _gpus(n: int) -> str:
    return f"{n:,} GPU" + ("s" if n != 1 else "")


def _max_batch(required: Callable[[int], int], usable: int, batch: int, at_batch: int) -> int | None:
    """The largest batch whose simulated requirement fits, by simulation: a linear prediction from
    two batch sizes (activations grow linearly with the batch), then checked and bracketed."""
    cache = {batch: at_batch}

    def f(b: int) -> int:
        if b not in cache:
            cache[b] = required(b)
        return cache[b]

    if f(1) > usable:
        return None
    if batch > 1 and f(batch) > usable:
        lo, hi = 1, batch
    else:
        step = max(1, batch)
        slope = max(1, (f(batch + step) - f(batch)) / step)
        guess = max(batch, int(batch + (usable - f(batch)) // slope))
        lo, hi = batch, guess + 1
        while f(hi) <= usable:  # extend the bracket until it holds a batch that does not fit
            lo, hi = hi, hi * 2
        if f(guess) <= usable:
            lo = max(lo, guess)
    while hi - lo > 1:  # f(lo) fits, f(hi) does not
        mid = (lo + hi) // 2
        if f(mid) <= usable:
            lo = mid
        else:
            hi = mid
    return lo


def _remedies(simulate: Callable[..., Any], need: Callable[..., int], base: Any, prec: Precision, usable: int,
              batch: int, max_batch: int | None, checkpointing: bool, model: nn.Module,
              plans: tuple[ShardingPlan, ...], train: bool, overhead: int, trainable: int,
              unit: tuple[int, int]) -> list[Remedy]:
    """The seed's remedies in its order, each simulated where it can be."""
    out: list[Remedy] = []
    checkpointed = None
    if prec is Precision.FP32:
        low = "bf16-mixed" if train else "bf16"
        m = simulate(precision=low)
        out.append(Remedy("mixed precision" if train else "lower precision",
                          f"--precision {low}", need(m), need(m) <= usable))
    if train and not checkpointing and checkpoint_blocks(model):
        checkpointed = simulate(checkpointing=True)
        out.append(Remedy("activation checkpointing", "--checkpointing (each repeated block)", need(checkpointed),
                          need(checkpointed) <= usable))
    if max_batch is not None and max_batch < batch:
        steps = math.ceil(batch / max_batch)
        detail = f"batch {max_batch} × {steps} gradient-accumulation steps" if train else f"batch {max_batch}"
        m = simulate(max_batch)
        out.append(Remedy("smaller batch" + (" with gradient accumulation" if train else ""), detail, need(m), True))
    elif max_batch is None:
        out.append(Remedy("smaller batch", "even a batch of 1 does not fit", None, False))
    for plan in plans:
        if plan.strategy == "zero3":
            with_checkpointing = None
            if not plan.fewest_gpus and checkpointed is not None:
                with_checkpointing = _fewest_gpus(checkpointed, "zero3", usable, overhead, trainable, unit)
            if plan.fewest_gpus:
                detail, helps = f"--sharding zero3 over {_gpus(plan.fewest_gpus)} of this kind", True
            elif with_checkpointing == 1:
                detail, helps = "not needed: --checkpointing alone fits on one GPU", False
            elif with_checkpointing:
                detail, helps = (f"--sharding zero3 --checkpointing over {_gpus(with_checkpointing)} of this kind "
                                 "(no number fits without checkpointing)"), True
            else:
                detail, helps = "no number of GPUs fits: activations alone exceed one GPU", False
            out.append(Remedy("sharding", detail, None, helps))
    params = sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
    fraction = _largest_fraction(lambda f: need(_scaled(base, f)) <= usable)
    if fraction:
        out.append(Remedy("a smaller model", f"at most {int(fraction * params):,} parameters ({fraction:.0%} of this "
                          "one), if activations stay the same", need(_scaled(base, fraction)), True))
    else:
        out.append(Remedy("a smaller model", "activations alone exceed the device: a smaller model does not help "
                          "without a smaller batch or checkpointing", None, False))
    return out
