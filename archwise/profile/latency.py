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

from ..devices import CALIBRATION_VERSION, Device, calibration_path
from ..errors import ArchwiseError
from ._trace import OpCost

__all__ = ["LatencyReport", "LayerLatency", "predict", "loss_costs", "optimizer_costs", "calibrate", "measure", "op_time"]


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
    train_step_s: float | None  # predicted: forward, backward and optimizer step (None: no backward traced)
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
    if device.curves and cost.op in device.curves.get("ops", {}) and cost.kind != "matmul":
        # measured on this CPU as a whole kernel (depthwise convolutions included): its own rate
        seconds = cost.bytes / _interpolate(device.curves["ops"][cost.op], cost.bytes) if cost.bytes else 0.0
        return seconds, False
    rate = _rate(device, cost)
    compute = cost.flops / rate if cost.flops and rate else 0.0
    bandwidth = device.bandwidth
    if device.curves:  # this CPU: a copy's measured bandwidth at this size
        bandwidth = _interpolate(device.curves["copy"], cost.bytes)
    memory = cost.bytes / bandwidth if bandwidth else 0.0
    return max(compute, memory), compute >= memory


def _rate(device: Device, cost: OpCost) -> float:
    """FLOP/s for this kernel: on this CPU, measured at sizes around the kernel's work (small kernels
    run far below peak; convolution backward has its own curve); on GPUs the datasheet peak, fp32
    convolutions at the TF32 rate (PyTorch allows TF32 for cuDNN by default), fp32 matmuls at the fp32 rate."""
    if device.curves:
        kind = (device.curves.get("op_flops", {}).get(cost.op) or device.curves.get(cost.kind)
                or device.curves["matmul"])
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


def predict(costs: Sequence[OpCost], device: Device, batch_size: int,
            dispatched: dict[str, int] | None = None, optimizer_name: str | None = None,
            optimizer_tensors: int = 0, step: bool = True) -> LatencyReport:
    """Sum the roofline over the traced kernels of a forward, the loss, a backward and an optimizer
    step (``phase`` "forward", "loss", "backward", "optimizer"; ``dispatched`` counts each phase's ops).

    On a GPU each kernel adds its launch cost. On this CPU each dispatched op (views too) adds eager
    PyTorch's per-op cost measured around real module code, since there the framework, not the
    kernel, is often what takes the time; and the optimizer step costs what was calibrated for
    ``optimizer_name``: a fixed cost per tensor (``optimizer_tensors`` of them) plus its bytes at the
    rate its whole step reached at that size.
    """
    if not device.bandwidth or not any(device.peak_flops.values()):
        raise ArchwiseError(f"no speed figures for {device.name}: run archwise calibrate to measure this CPU first")
    dispatched = dict(dispatched or {})
    recurrent = {c.module for c in costs if c.kind == "rnn"}
    costs = _fused_recurrent(costs)
    for phase in ("forward", "backward"):  # each fused recurrent kernel is one dispatched op
        dispatched[phase] = dispatched.get(phase, 0) + sum(1 for c in costs if c.phase == phase and c.module in recurrent)
    per: dict[str, list[float]] = {}
    forward = backward = optimizer = bound = 0.0
    step_model = (device.curves or {}).get("optimizer", {}).get(optimizer_name or "")
    calibrated_step = isinstance(step_model, dict) and not device.is_gpu
    if calibrated_step:
        traffic = sum(c.bytes for c in costs if c.phase == "optimizer")
        optimizer = optimizer_tensors * step_model["per_tensor_s"]
        optimizer += traffic / _interpolate(step_model["rate"], traffic) if traffic else 0.0
        costs = [c for c in costs if c.phase != "optimizer"]
    for cost in costs:
        seconds, compute_bound = op_time(cost, device)
        seconds += device.launch_overhead_s if device.is_gpu else 0.0  # on the CPU: counted per dispatched op
        if cost.phase == "optimizer":
            optimizer += seconds
            continue
        slot = per.setdefault(cost.module, [0.0, 0.0])
        if cost.phase == "forward":
            forward += seconds
            bound += seconds if compute_bound else 0.0
            slot[0] += seconds
        else:
            backward += seconds
            slot[1] += seconds
    if not device.is_gpu:  # eager PyTorch's own cost per dispatched op (views too), measured by calibrate
        framework_forward = dispatched.get("forward", 0) * device.launch_overhead_s
        framework_backward = (dispatched.get("backward", 0) + dispatched.get("loss", 0)) * (
            device.train_op_overhead_s or device.launch_overhead_s)
        per.setdefault("(framework)", [0.0, 0.0])
        per["(framework)"][0] += framework_forward
        per["(framework)"][1] += framework_backward
        forward += framework_forward
        backward += framework_backward
        if not calibrated_step:  # a calibrated step already includes its per-tensor costs
            optimizer += dispatched.get("optimizer", 0) * device.launch_overhead_s
    layers = tuple(LayerLatency(path, f, b) for path, (f, b) in per.items())
    return LatencyReport(device.name, batch_size, forward, forward + backward + optimizer if step else None,
                         bound / forward if forward else 0.0, layers, optimizer)


def loss_costs(shape: tuple[int, ...], dtype: torch.dtype) -> tuple[list[OpCost], int]:
    """The kernels of the training loss (what ``archwise`` and ``--measure`` use: cross-entropy for
    logits-like outputs, else mean squared error) and of its backward, on a meta output of ``shape``,
    as phase "loss"; and the count of dispatched ops."""
    from ._step import LossKind, compute_loss
    from ._trace import OpRecorder

    out = torch.empty(shape, dtype=dtype, device="meta", requires_grad=True)
    with OpRecorder("loss", "(loss)", meta_only=True) as record:
        compute_loss(out, LossKind.AUTO).backward()
    return record.costs, record.dispatched


def optimizer_costs(params: Sequence[torch.Tensor], optimizer: str, precision: str,
                    foreach: bool) -> tuple[list[OpCost], int]:
    """The kernels of one steady-state step of ``optimizer`` over tensors shaped like ``params``
    (the trainable ones), traced on the meta device: PyTorch's own implementation, per-tensor loop
    (``foreach=False``, what it runs on the CPU) or multi-tensor (what it runs on CUDA). Weights and
    gradients are in the precision's master dtype. Returns the kernels and the count of dispatched ops.
    """
    from ._step import OptimizerName, Precision, make_optimizer, parse_enum
    from ._trace import OpRecorder

    prec = parse_enum(Precision, precision, "precision")
    name = parse_enum(OptimizerName, optimizer, "optimizer")
    weights = []
    for p in params:
        if p.requires_grad:
            w = torch.empty(p.shape, dtype=prec.param_dtype, device="meta", requires_grad=True)
            w.grad = torch.empty_like(w)
            weights.append(w)
    if not weights:
        return [], 0
    opt = make_optimizer(name, weights, foreach=foreach)
    with OpRecorder("optimizer", scalars=True):
        opt.step()  # the first step creates the state; the one traced is a steady-state step
    with OpRecorder("optimizer", "(optimizer)", scalars=True, meta_only=True) as record:
        opt.step()
    return record.costs, record.dispatched


# --- calibration --------------------------------------------------------------------------------
def _median(fn: Callable[[], Any], min_run_time: float) -> float:
    fn()  # warm-up: caches, oneDNN primitive creation
    timer = benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=torch.get_num_threads())
    return timer.blocked_autorange(min_run_time=min_run_time).median


def calibrate(on_step: Callable[[str], None] = lambda step: None, quick: bool = False) -> dict[str, Any]:
    """Measure this machine's CPU and store the figures where ``archwise.devices.local_cpu`` reads them.

    Rates as functions of the dimension that limits a kernel's efficiency: matrix multiplies (fp32,
    bf16) whose smallest dimension runs from 4 to 1024; 3×3 convolutions and their backward from 4
    to 256 channels; every common memory-bound kernel (element-wise, normalization, pooling, dropout's
    random numbers, indexing, depthwise convolutions, their backward kernels and the optimizers'
    in-place updates) at sizes from cache-resident to main memory; copies from 16 KiB to 256 MiB;
    and the per-op costs of eager PyTorch around module code.
    """
    run = 0.05 if quick else 0.2
    curves: dict[str, Any] = {"matmul": {}, "conv": {}, "copy": [], "op_flops": {}}
    for dtype, name in ((torch.float32, "fp32"), (torch.bfloat16, "bf16")):
        on_step(f"matrix multiply, {name}")
        points = []
        for d in (4, 16, 32, 64, 128, 256, 512, 1024):  # smallest dimension of a (2048 × d) · (d × d) product
            a, b = torch.randn(2048, d, dtype=dtype), torch.randn(d, d, dtype=dtype)
            flops = 2 * 2048 * d * d
            points.append([d, flops / _median(lambda a=a, b=b: torch.mm(a, b), run)])
        curves["matmul"][name] = points
    on_step("convolutions 3×3 and 1×1 and their backward, fp32")
    convs = _conv_rates(run)
    curves["conv"]["fp32"] = convs.pop("convolution")
    curves["op_flops"] = {name: {"fp32": p} for name, p in convs.items()}
    on_step("memory-bound kernels")
    curves["ops"] = _op_bandwidths(run, _QUICK_SIZES if quick else _SIZES)
    on_step("per-op overheads")
    inference, training = _eager_overheads(run)
    on_step("optimizer steps")
    curves["optimizer"] = _optimizer_rates(run, (1 << 18, 1 << 21) if quick else (1 << 18, 1 << 21, 1 << 24))
    on_step("memory bandwidth (copy)")
    for numel in (4 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20):
        src, dst = torch.ones(numel), torch.empty(numel)
        curves["copy"].append([2 * numel * 4, 2 * numel * 4 / _median(lambda src=src, dst=dst: dst.copy_(src), run)])
    out: dict[str, Any] = {
        "version": CALIBRATION_VERSION,
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


_SIZES = (1 << 12, 1 << 15, 1 << 18, 1 << 21, 1 << 24)  # elements: from cache-resident to main memory
_QUICK_SIZES = (1 << 14, 1 << 20)


def _conv_rates(run: float) -> dict[str, list[list[float]]]:
    """FLOP/s of 3×3 and 1×1 convolutions and of their backward (input and weight gradients), by the
    equivalent GEMM's smallest side, the lower where two shapes share it (a conservative choice);
    keyed by the name the tracer gives each kernel."""
    from ._trace import OpRecorder

    points: dict[str, list[list[float]]] = {}
    shapes = [(16, c, 32) for c in (4, 16, 32, 64, 128, 256)] + [(4, 256, s) for s in (2, 4, 8)]
    for k in (3, 1):
        for batch, channels, size in shapes:
            x, w = torch.randn(batch, channels, size, size), torch.randn(channels, channels, k, k)
            g = torch.randn(batch, channels, size, size)
            pad = k // 2
            calls = (lambda x=x, w=w, pad=pad: torch.nn.functional.conv2d(x, w, padding=pad),
                     lambda g=g, x=x, w=w, pad=pad: torch.ops.aten.convolution_backward(
                         g, x, w, None, [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, [True, True, False]))
            for fn in calls:
                with OpRecorder("calibrate") as record:
                    fn()
                kernel = max(record.costs, key=lambda c: c.flops)
                points.setdefault(kernel.op, []).append([kernel.limit, kernel.flops / _median(fn, run)])
    return {name: _best_per_limit(p) for name, p in points.items()}


def _best_per_limit(points: list[list[float]]) -> list[list[float]]:
    """One rate per limiting dimension: the lower where two shapes share it (a conservative choice)."""
    low: dict[float, float] = {}
    for limit, rate in points:
        low[limit] = min(rate, low.get(limit, rate))
    return sorted([k, v] for k, v in low.items())


def _op_cases(n: int) -> dict[str, Callable[[], Any]]:
    """One call per kernel, on ``n``-element float32 tensors (rows of 256, or images of 32 channels),
    named by the aten op the tracer records for it."""
    F, aten = torch.nn.functional, torch.ops.aten
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(max(n // 256, 1), 256, generator=g), torch.randn(max(n // 256, 1), 256, generator=g)
    ones, positive, mask = torch.ones_like(x), x.abs() + 0.5, x > 0
    side = 16 if n >= 8192 else 4
    img = torch.randn(max(n // (32 * side * side), 1), 32, side, side, generator=g)
    img_grad, w_dw, gamma = torch.randn_like(img), torch.randn(32, 1, 3, 3), torch.ones(32)
    pooled, indices = aten.max_pool2d_with_indices(img, [3, 3], [2, 2], [1, 1])
    _, bn_mean, bn_invstd = aten.native_batch_norm(img, gamma, None, None, None, True, 0.1, 1e-5)[:3]
    _, ln_mean, ln_rstd = aten.native_layer_norm(x, [256], torch.ones(256), torch.zeros(256), 1e-5)
    soft = torch.softmax(x, -1)
    rows = max(n // 256, 1)
    table, ids = torch.randn(1000, 256), torch.randint(0, 1000, (rows,), generator=g)
    nodes = torch.randn(max(rows // 4, 1), 256)
    edges = torch.randint(0, nodes.shape[0], (rows,), generator=g)
    state = {"acc": torch.zeros_like(x), "bern": torch.empty_like(x)}
    return {
        "add": lambda: x + y, "sub": lambda: x - y, "mul": lambda: x * y, "div": lambda: x / positive,
        "add_": lambda: state["acc"].add_(y), "mul_": lambda: state["acc"].mul_(ones),
        "div_": lambda: state["acc"].div_(ones), "lerp_": lambda: state["acc"].lerp_(y, 0.1),
        "addcmul_": lambda: state["acc"].addcmul_(y, y, value=1e-8),
        "addcdiv_": lambda: state["acc"].addcdiv_(y, positive, value=1e-8),
        "sqrt": lambda: positive.sqrt(), "pow": lambda: x.pow(2), "neg": lambda: -x, "exp": lambda: x.exp(),
        "relu": lambda: torch.relu(x), "gelu": lambda: F.gelu(x), "tanh": lambda: x.tanh(), "sigmoid": lambda: x.sigmoid(),
        "silu": lambda: F.silu(x), "hardtanh": lambda: F.hardtanh(x, 0.0, 6.0),
        "where": lambda: torch.where(mask, x, y), "masked_fill": lambda: x.masked_fill(mask, 0.0),
        "eq": lambda: x == y, "all": lambda: mask.all(), "bernoulli_": lambda: state["bern"].bernoulli_(0.9),
        "copy_": lambda: state["acc"].copy_(x), "clone": lambda: x.clone(), "_to_copy": lambda: x.to(torch.bfloat16),
        "cat": lambda: torch.cat([x, y]), "sum": lambda: x.sum(-1), "mean": lambda: img.mean((2, 3)),
        "_softmax": lambda: torch.softmax(x, -1), "_log_softmax": lambda: torch.log_softmax(x, -1),
        "native_layer_norm": lambda: F.layer_norm(x, (256,)),
        "native_batch_norm": lambda: aten.native_batch_norm(img, gamma, None, None, None, True, 0.1, 1e-5),
        "max_pool2d_with_indices": lambda: aten.max_pool2d_with_indices(img, [3, 3], [2, 2], [1, 1]),
        "constant_pad_nd": lambda: F.pad(img, (1, 1, 1, 1)),
        "embedding": lambda: F.embedding(ids, table), "index_select": lambda: nodes.index_select(0, edges),
        "scatter_add_": lambda: torch.zeros_like(nodes).scatter_add_(0, edges[:, None].expand(-1, 256), x),
        "convolution.depthwise": lambda: F.conv2d(img, w_dw, padding=1, groups=32),
        "convolution_backward.depthwise": lambda: aten.convolution_backward(
            img_grad, img, w_dw, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 32, [True, True, False]),
        "threshold_backward": lambda: aten.threshold_backward(y, x, 0.0),
        "gelu_backward": lambda: aten.gelu_backward(y, x), "tanh_backward": lambda: aten.tanh_backward(y, x),
        "sigmoid_backward": lambda: aten.sigmoid_backward(y, x),
        "hardtanh_backward": lambda: aten.hardtanh_backward(y, x, 0.0, 6.0),
        "_softmax_backward_data": lambda: aten._softmax_backward_data(y, soft, -1, torch.float32),
        "native_layer_norm_backward": lambda: aten.native_layer_norm_backward(
            y, x, [256], ln_mean, ln_rstd, torch.ones(256), torch.zeros(256), [True, True, True]),
        "native_batch_norm_backward": lambda: aten.native_batch_norm_backward(
            img_grad, img, gamma, None, None, bn_mean, bn_invstd, True, 1e-5, [True, True, True]),
        "max_pool2d_with_indices_backward": lambda: aten.max_pool2d_with_indices_backward(
            torch.ones_like(pooled), img, [3, 3], [2, 2], [1, 1], [1, 1], False, indices),
        "embedding_dense_backward": lambda: aten.embedding_dense_backward(
            torch.ones(rows, 256), ids, 1000, -1, False),
    }


def _op_bandwidths(run: float, sizes: Sequence[int]) -> dict[str, list[list[float]]]:
    """Effective bytes/s of each kernel of ``_op_cases`` (its bytes read and written, counted as the
    tracer counts them, ÷ its time less the Python cost of a call, which is counted per op) at each
    of ``sizes`` elements, keyed by the name the tracer gives it."""
    from ._trace import OpRecorder

    empty = torch.empty(0)
    floor = _median(lambda: empty.view(-1), run)  # a Python call that dispatches an op and launches nothing
    out: dict[str, list[list[float]]] = {}
    for n in sizes:
        with torch.no_grad():
            for name, fn in _op_cases(n).items():
                with OpRecorder("calibrate") as record:
                    fn()
                kernels = [c for c in record.costs if c.op == name and c.bytes]
                if not kernels:
                    continue
                seconds = _median(fn, run / 2)
                out.setdefault(name, []).append([kernels[0].bytes, kernels[0].bytes / max(seconds - floor, 0.1 * seconds)])
    return out


def _optimizer_rates(run: float, sizes: Sequence[int]) -> dict[str, dict[str, Any]]:
    """Each optimizer's step as PyTorch runs it on the CPU (the per-tensor loop): its fixed cost per
    tensor (Python and dispatch, timed over 64 tensors of 16 values), and the effective bytes/s of
    its kernels over eight tensors of ``sizes`` parameters in all (the bytes they read and write ÷
    the time less the per-tensor costs). Measured as a whole because a step walks weights, gradients
    and state far larger than the caches, which kernels timed alone do not."""
    from ._step import OptimizerName, make_optimizer
    from ._trace import OpRecorder

    def step(count: int, size: int) -> tuple[float, int]:
        params = [torch.zeros(size, 1, requires_grad=True) for _ in range(count)]
        for w in params:
            w.grad = torch.full_like(w, 1e-3)
        opt = make_optimizer(name, params, foreach=False)
        opt.step()  # creates the state
        with OpRecorder("optimizer") as record:
            opt.step()
        return _median(opt.step, run), sum(c.bytes for c in record.costs)

    out: dict[str, dict[str, Any]] = {}
    for name in OptimizerName:
        seconds, _ = step(64, 16)
        per_tensor = seconds / 64
        rates = []
        for total in sizes:
            seconds, traffic = step(8, total // 8)
            rates.append([traffic, traffic / max(seconds - 8 * per_tensor, 0.1 * seconds)])
        out[name.value] = {"per_tensor_s": per_tensor, "rate": rates}
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
