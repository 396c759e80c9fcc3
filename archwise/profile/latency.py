"""Latency: predicted per op by a roofline, and measured on this machine's CPU.

Each kernel of the traced pass costs the larger of its compute time (FLOPs ÷ the device's peak for
that kind of op and dtype) and its memory time (bytes read and written ÷ bandwidth), plus a fixed
launch cost; kernels are summed per layer and in total. View ops launch nothing and cost nothing.
A training step adds the optimizer, a memory-bound pass over weights, gradients and state.

Peaks come from the device catalog (datasheets) or, for this machine's CPU, from
``archwise calibrate``, which measures matrix-multiply and convolution FLOP/s, copy bandwidth and
the per-op overhead of eager PyTorch. ``measure`` times the real model with
``torch.utils.benchmark`` (warm-up, then the median of repeats).
"""

from __future__ import annotations

import contextlib
import json
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

import torch
from torch import nn
from torch.utils import benchmark

from ..devices import Device, calibration_path
from ..errors import ArchwiseError
from ._trace import OpCost

__all__ = ["LatencyReport", "LayerLatency", "predict", "calibrate", "measure", "op_time"]


@dataclass(frozen=True)
class LayerLatency:
    path: str
    forward_s: float
    backward_s: float


@dataclass(frozen=True)
class LatencyReport:
    device: str
    batch_size: int
    forward_s: float  # predicted, one forward
    train_step_s: float  # predicted: forward, backward and optimizer step
    compute_bound_share: float  # of the forward's predicted time, the share in compute-bound kernels
    per_layer: tuple[LayerLatency, ...]  # forward and backward time per module; they add up to the totals
    optimizer_s: float
    measured_forward_s: float | None = None  # on this machine's CPU, with --measure
    measured_train_step_s: float | None = None
    local_forward_s: float | None = None  # predicted for this machine's CPU, beside the measurement
    local_train_step_s: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def throughput(self) -> float:
        """Samples per second of inference at the predicted forward time."""
        return self.batch_size / self.forward_s if self.forward_s else 0.0

    def to_dict(self) -> dict[str, Any]:
        ms = lambda s: None if s is None else s * 1e3  # noqa: E731
        return {
            "device": self.device, "batch_size": self.batch_size,
            "predicted_ms": ms(self.forward_s), "predicted_train_step_ms": ms(self.train_step_s),
            "optimizer_ms": ms(self.optimizer_s), "throughput_samples_per_s": self.throughput,
            "compute_bound_share": self.compute_bound_share,
            "measured_ms": ms(self.measured_forward_s), "measured_train_step_ms": ms(self.measured_train_step_s),
            "local_predicted_ms": ms(self.local_forward_s), "local_predicted_train_step_ms": ms(self.local_train_step_s),
            "per_layer": [{"path": x.path, "forward_ms": x.forward_s * 1e3, "backward_ms": x.backward_s * 1e3}
                          for x in self.per_layer],
            "notes": list(self.notes),
        }


def op_time(cost: OpCost, device: Device) -> tuple[float, bool]:
    """Predicted seconds of one kernel's work (compute or memory, whichever bounds it), and whether
    compute bounds it. Fixed per-op costs are added by ``predict``.

    Example:
        >>> from archwise.devices import get_device
        >>> c = OpCost("forward", "fc", "matmul", 2 * 4096**3, 3 * 4096**2 * 2, "bf16")
        >>> t, compute_bound = op_time(c, get_device("h100-sxm"))
        >>> round(t * 1e3, 3), compute_bound
        (0.139, True)
    """
    rate = _rate(device, cost)
    compute = cost.flops / rate if cost.flops and rate else 0.0
    bandwidth = device.bandwidth
    if device.curves:  # this CPU: the op's own measured bandwidth where calibrated, else a copy's
        bandwidth = _interpolate(device.curves.get("ops", {}).get(cost.op) or device.curves["copy"], cost.bytes)
    memory = cost.bytes / bandwidth if bandwidth else 0.0
    return max(compute, memory), compute >= memory


def _rate(device: Device, cost: OpCost) -> float:
    """FLOP/s for this kernel: on this CPU, measured at sizes around the kernel's work (small kernels
    run far below peak); on GPUs the datasheet peak, fp32 convolutions at the TF32 rate (PyTorch
    allows TF32 for cuDNN by default), fp32 matmuls at the fp32 rate."""
    if device.curves:
        kind = device.curves.get(cost.kind) or device.curves["matmul"]
        points = kind.get(cost.dtype) or kind["fp32"]
        return _interpolate(points, cost.limit or 1)
    if device.is_gpu and cost.dtype == "fp32" and cost.kind == "conv" and "tf32" in device.peak_flops:
        return device.peak_flops["tf32"]
    return device.flops_for(cost.dtype)


def _interpolate(points: Sequence[Sequence[float]], x: float) -> float:
    """Rate at size ``x`` from measured (size, rate) points: linear in log-log, flat past the ends."""
    import math

    points = sorted(points)
    if x <= points[0][0]:
        return points[0][1]
    if x >= points[-1][0]:
        return points[-1][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            t = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
            return math.exp(math.log(y0) + t * (math.log(y1) - math.log(y0)))
    return points[-1][1]  # pragma: no cover


def in_precision(costs: Sequence[OpCost], precision: str) -> list[OpCost]:
    """The traced (fp32) kernels as they run in ``precision``: under mixed precision matrix
    multiplies and convolutions compute in the low dtype and move half the bytes; in pure low
    precision every kernel does."""
    from ._step import Precision, parse_enum

    prec = parse_enum(Precision, precision, "precision")
    low = prec.autocast_dtype or (prec.param_dtype if prec.param_dtype != torch.float32 else None)
    if low is None:
        return list(costs)
    name = "bf16" if low == torch.bfloat16 else "fp16"
    every = prec.autocast_dtype is None
    return [replace(c, dtype=name, bytes=c.bytes // 2) if (every or c.kind in ("matmul", "conv")) and c.dtype == "fp32"
            else c for c in costs]


def _fused_recurrent(costs: Sequence[OpCost]) -> list[OpCost]:
    """A recurrent layer's per-step ops (how it runs on meta) as the one fused kernel per layer and
    phase it is on real hardware (oneDNN, cuDNN): all its FLOPs at its step matrices' width, and the
    traffic of its step products (each step reads its weights)."""
    groups: dict[tuple[str, str], list[OpCost]] = {}
    out: list[OpCost] = []
    for c in costs:
        if c.kind == "rnn":
            groups.setdefault((c.phase, c.module), []).append(c)
        else:
            out.append(c)
    for (phase, module), group in groups.items():
        products = [c for c in group if c.flops]
        limit = min((c.limit for c in products if c.limit), default=1)
        out.append(OpCost(phase, module, "matmul", sum(c.flops for c in group),
                          sum(c.bytes for c in products), group[0].dtype, limit))
    return out


def predict(costs: Sequence[OpCost], device: Device, batch_size: int, optimizer_bytes: int = 0,
            optimizer_kernels: int = 0, dispatched: dict[str, int] | None = None,
            module_calls: int = 0) -> LatencyReport:
    """Sum the roofline over the traced kernels of a forward and backward pass.

    On a GPU each kernel adds its launch cost. On this CPU each dispatched op (views too) adds eager
    PyTorch's per-op cost measured around real module code, since there the framework, not the
    kernel, is often what takes the time.
    """
    if not device.bandwidth or not any(device.peak_flops.values()):
        raise ArchwiseError(f"no speed figures for {device.name}: run archwise calibrate to measure this CPU first")
    dispatched = dict(dispatched or {})
    recurrent = {c.module for c in costs if c.kind == "rnn"}
    costs = _fused_recurrent(costs)
    for phase in ("forward", "backward"):  # each fused recurrent kernel is one dispatched op
        dispatched[phase] = dispatched.get(phase, 0) + sum(1 for c in costs if c.phase == phase and c.module in recurrent)
    per: dict[str, list[float]] = {}
    forward = backward = bound = 0.0
    for cost in costs:
        seconds, compute_bound = op_time(cost, device)
        seconds += device.launch_overhead_s if device.is_gpu else 0.0  # on the CPU: counted per dispatched op
        slot = per.setdefault(cost.module, [0.0, 0.0])
        if cost.phase == "forward":
            forward += seconds
            bound += seconds if compute_bound else 0.0
            slot[0] += seconds
        else:
            backward += seconds
            slot[1] += seconds
    framework_forward = framework_backward = 0.0
    if not device.is_gpu:  # eager PyTorch's own cost per dispatched op (views too), measured by calibrate
        framework_forward = dispatched.get("forward", 0) * device.launch_overhead_s
        framework_backward = dispatched.get("backward", 0) * (device.train_op_overhead_s or device.launch_overhead_s)
        per.setdefault("(framework)", [0.0, 0.0])
        per["(framework)"][0] += framework_forward
        per["(framework)"][1] += framework_backward
    forward += framework_forward
    backward += framework_backward
    optimizer = optimizer_bytes / device.bandwidth + optimizer_kernels * device.launch_overhead_s
    layers = tuple(LayerLatency(path, f, b) for path, (f, b) in per.items())
    return LatencyReport(device.name, batch_size, forward, forward + backward + optimizer,
                         bound / forward if forward else 0.0, layers, optimizer)


# --- calibration --------------------------------------------------------------------------------
def _median(fn: Callable[[], Any], min_run_time: float) -> float:
    fn()  # warm-up: caches, oneDNN primitive creation
    timer = benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=torch.get_num_threads())
    return timer.blocked_autorange(min_run_time=min_run_time).median


def calibrate(on_step: Callable[[str], None] = lambda step: None, quick: bool = False) -> dict[str, Any]:
    """Measure this machine's CPU and store the figures where ``archwise.devices.local_cpu`` reads them.

    Rates as functions of the dimension that limits a kernel's efficiency: matrix multiplies (fp32,
    bf16) whose smallest dimension runs from 4 to 1024, 3×3 convolutions from 4 to 256 channels; copies
    from 16 KiB to 256 MiB; and the per-op costs of eager PyTorch: a small kernel, a view, a module call.
    """
    run = 0.05 if quick else 0.2
    curves: dict[str, Any] = {"matmul": {}, "conv": {}, "copy": []}
    for dtype, name in ((torch.float32, "fp32"), (torch.bfloat16, "bf16")):
        on_step(f"matrix multiply, {name}")
        points = []
        for d in (4, 16, 32, 64, 128, 256, 512, 1024):  # smallest dimension of a (2048 × d) · (d × d) product
            a, b = torch.randn(2048, d, dtype=dtype), torch.randn(d, d, dtype=dtype)
            flops = 2 * 2048 * d * d
            points.append([d, flops / _median(lambda a=a, b=b: torch.mm(a, b), run)])
        curves["matmul"][name] = points
    on_step("convolution 3×3, fp32")
    points = []
    shapes = [(16, c, 32) for c in (4, 16, 32, 64, 128, 256)] + [(4, 256, s) for s in (2, 4, 8)]
    for batch, channels, size in shapes:  # the equivalent GEMM's smallest side: channels, or batch · positions
        x, w = torch.randn(batch, channels, size, size), torch.randn(channels, channels, 3, 3)
        flops = 2 * batch * channels * size * size * channels * 9
        limit = min(channels, batch * size * size)
        points.append([limit, flops / _median(lambda x=x, w=w: torch.nn.functional.conv2d(x, w, padding=1), run)])
    curves["conv"]["fp32"] = _best_per_limit(points)
    on_step("memory-bound ops")
    curves["ops"] = _op_bandwidths(run)
    on_step("memory bandwidth (copy)")
    for numel in (4 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20):
        src, dst = torch.ones(numel), torch.empty(numel)
        curves["copy"].append([2 * numel * 4, 2 * numel * 4 / _median(lambda src=src, dst=dst: dst.copy_(src), run)])
    on_step("per-op overheads")
    inference, training = _eager_overheads(run)
    out: dict[str, Any] = {
        "curves": curves, "op_overhead_s": inference, "train_op_overhead_s": training,
        "kind_flops": {kind: {dtype: max(r for _, r in pts) for dtype, pts in by.items()}
                       for kind, by in (("matmul", curves["matmul"]), ("conv", curves["conv"]))},
        "bandwidth": max(r for _, r in curves["copy"]),
    }
    out["matmul_flops"] = dict(out["kind_flops"]["matmul"])
    out["machine"] = {"processor": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "when": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    path = calibration_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    return out


def _best_per_limit(points: list[list[float]]) -> list[list[float]]:
    """One rate per limiting dimension: the lower where two shapes share it (a conservative choice)."""
    low: dict[float, float] = {}
    for limit, rate in points:
        low[limit] = min(rate, low.get(limit, rate))
    return sorted([k, v] for k, v in low.items())


def _op_bandwidths(run: float) -> dict[str, list[list[float]]]:
    """Effective bytes/s of common memory-bound ops (bytes read and written ÷ time) at two sizes,
    keyed by the aten op each dispatches (found by tracing the call itself)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Record(TorchDispatchMode):
        def __init__(self) -> None:
            super().__init__()
            self.ops: list[tuple[str, int]] = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
            out = func(*args, **(kwargs or {}))
            if not func.is_view:
                tensors = [t for t in (*args, *(out if isinstance(out, (list, tuple)) else [out]))
                           if isinstance(t, torch.Tensor)]
                self.ops.append((func.overloadpacket.__name__, sum(t.numel() * t.element_size() for t in tensors)))
            return out

    bn, ln = nn.BatchNorm2d(64), nn.LayerNorm(256)
    cases = {
        "batch_norm": lambda x: bn(x), "max_pool": lambda x: torch.nn.functional.max_pool2d(x, 3, 2, 1),
        "relu": torch.relu, "add": lambda x: x + x, "mul": lambda x: x * x, "gelu": torch.nn.functional.gelu,
        "layer_norm": lambda x: ln(x.view(-1, 256)), "softmax": lambda x: torch.softmax(x, -1),
        "mean": lambda x: x.mean((2, 3)),
    }
    out: dict[str, list[list[float]]] = {}
    for numel in (1 << 16, 1 << 20):
        x = torch.randn(numel // (64 * 16 * 16) or 1, 64, 16, 16)
        for fn in cases.values():
            with torch.no_grad():
                record = Record()
                with record:
                    fn(x)
                ops = [(name, nbytes) for name, nbytes in record.ops if nbytes]
                if not ops:
                    continue
                name, nbytes = max(ops, key=lambda op: op[1])  # the time is charged to its main kernel
                out.setdefault(name, []).append([nbytes, nbytes / _median(lambda fn=fn: fn(x), run)])
    return out


def _eager_overheads(run: float) -> tuple[float, float]:
    """Seconds per dispatched op of eager PyTorch around real module code, inference and training:
    a reference model of convolution, attention and MLP blocks on tensors so small that its kernels
    take no time, timed and divided by the ops it dispatches (views included)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        ops = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
            Count.ops += 1
            return func(*args, **(kwargs or {}))

    torch.manual_seed(0)
    conv = nn.Sequential(nn.Conv2d(2, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 8))
    attention = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True)
    mlp = nn.Sequential(nn.Linear(8, 8), nn.GELU(), nn.LayerNorm(8), nn.Linear(8, 8))
    image, tokens = torch.randn(1, 2, 2, 2), torch.randn(1, 2, 8)

    def forward() -> torch.Tensor:
        return conv(image).sum() + attention(tokens).sum() + mlp(tokens).sum()

    def step() -> None:
        forward().backward()

    per_op = []
    for fn, grad in ((forward, False), (step, True)):
        with torch.set_grad_enabled(grad):
            Count.ops = 0
            with Count():
                fn()
            ops = Count.ops
            per_op.append(_median(fn, run) / ops)
    return per_op[0], per_op[1]


# --- measurement --------------------------------------------------------------------------------
def measure(model: nn.Module, args: list[torch.Tensor], *, train: bool, step: Callable[[], None] | None = None,
            min_run_time: float = 1.0) -> tuple[float, float | None]:
    """Median seconds of a forward under ``no_grad`` and, with ``train``, of ``step`` (a training step)."""
    def forward() -> None:
        with torch.no_grad():
            model(*args)

    threads = torch.get_num_threads()  # Timer defaults to one thread; a real run uses all of them
    forward()  # warm-up
    forward_s = benchmark.Timer(stmt="f()", globals={"f": forward}, num_threads=threads
                                ).blocked_autorange(min_run_time=min_run_time).median
    step_s = None
    if train and step is not None:
        step()  # warm-up: also creates the optimizer state
        step_s = benchmark.Timer(stmt="f()", globals={"f": step}, num_threads=threads
                                 ).blocked_autorange(min_run_time=min_run_time).median
    return forward_s, step_s


def measure_model(model: nn.Module, items: Sequence[Any], *, train: bool, optimizer: str, precision: str,
                  rebuild: Callable[[], nn.Module] | None = None, min_run_time: float = 1.0
                  ) -> tuple[float | None, float | None, list[str]]:
    """Time ``model`` for real on this CPU, on copies of its tensors (the model is not changed).

    Returns the forward and training-step medians (None where not measured) and notes saying why not.
    """
    from ..spec import InputSpec, normalize_inputs
    from ._step import LossKind, OptimizerName, Precision, make_optimizer, parse_enum, run_step, swapped
    from .measure import copies
    from .api import _available_memory

    prec = parse_enum(Precision, precision, "precision")
    if any(t.is_meta for t in (*model.parameters(), *model.buffers())):
        if rebuild is None:
            return None, None, ["not measured: the model has no weights (built on the meta device)"]
        weights = sum(p.numel() * p.element_size() for p in model.parameters())
        available = _available_memory() or 0
        if 4 * weights > 0.5 * available:
            return None, None, [f"not measured: {weights / 2**30:.1f} GiB of weights is too much for a real run here"]
        model = rebuild()
    generator = torch.Generator().manual_seed(0)
    items, _ = normalize_inputs(items)
    args = [a.real(generator) if isinstance(a, InputSpec) else a.detach().cpu() for a in items]
    if prec.autocast_dtype is None:
        args = [a.to(prec.param_dtype) if a.is_floating_point() else a for a in args]
    swap, params = copies(model, prec)
    opt = make_optimizer(parse_enum(OptimizerName, optimizer, "optimizer"), params, foreach=False) if train else None

    def step() -> None:
        run_step(lambda: model(*args), opt, prec, LossKind.AUTO)

    autocast = torch.autocast("cpu", dtype=prec.autocast_dtype) if prec.autocast_dtype else contextlib.nullcontext()
    with torch.random.fork_rng(devices=[]), swapped(model, swap), autocast:
        forward_s, step_s = measure(model, args, train=train, step=step if train else None, min_run_time=min_run_time)
    return forward_s, step_s, []
