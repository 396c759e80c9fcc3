"""``archwise.profile``: run one forward and backward pass on the meta device and read it.

The model's parameters and buffers are swapped for meta stand-ins for the whole pass (the
model's own tensors are untouched and nothing is copied),
the inputs are meta tensors, and a ``Tracer`` records the pass. Where an op has no meta kernel
(``nonzero`` and other data-dependent ops, common in graph layers) the pass is repeated for real
on the CPU at the same shapes, if it fits in memory, and the result says so.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..errors import ArchwiseError
from ..spec import InputSpec, dtype_name, normalize_inputs
from ._step import stand_ins, swapped, trainable
from ._trace import Tracer, TraceFailure
from .result import LayerProfile, ModelProfile, ParamStats
from .structure import analyze

__all__ = ["profile"]

_DATA_DEPENDENT_OPS = {
    "aten.nonzero", "aten._local_scalar_dense", "aten.masked_select", "aten.unique", "aten._unique2",
    "aten.unique_consecutive", "aten.unique_dim", "aten.repeat_interleave", "aten.equal", "aten.is_nonzero",
}
_REAL_RUN_HEADROOM = 0.8  # a real run may use at most this share of the available memory


class _MetaUnsupported(Exception):
    def __init__(self, failure: TraceFailure, error: BaseException, estimate_bytes: int) -> None:
        super().__init__(str(error))
        self.failure, self.error, self.estimate_bytes = failure, error, estimate_bytes


def profile(model: nn.Module, inputs: Any, *, backward: bool = True, train: bool = False, optimizer: str = "adamw",
            precision: str = "fp32", checkpointing: bool = False, device: str | None = None,
            memory: str | int | None = None, gpus: int = 1, sharding: str | None = None, headroom: float = 0.1,
            seq_len: int | None = None, search_batch: bool = True, measure: bool = False,
            _rebuild_on_cpu: Callable[[], nn.Module] | None = None, _memory: bool = True) -> ModelProfile:
    """Count the parameters and FLOPs of ``model`` at ``inputs`` and read its structure.

    Runs on the meta device: nothing of the size of the model or its activations is allocated,
    and the model itself is left exactly as found (parameters, buffers, ``training`` flags,
    ``requires_grad`` flags, hooks).

    Args:
        model: any ``nn.Module``, with real weights or built under ``torch.device("meta")``.
        inputs: one input or a list of them, each a tensor, a shape such as ``(1, 3, 224, 224)``,
            a ``(shape, dtype)`` pair or a string such as ``"int64:1x128"``; or a dict of keyword
            inputs. Shapes include the batch dimension.
        backward: also run the backward pass from every floating-point output, to count its FLOPs.
        train: simulate one training step's memory (``optimizer``, ``precision``, ``checkpointing``
            as in :func:`archwise.simulate_training`).
        device, memory: a catalog device (``archwise devices``) or a memory size such as ``"24GB"``:
            adds the fit verdict (training with ``train``, else inference) with ``headroom`` kept free,
            the largest batch that fits (``search_batch``), remedies, and multi-GPU plans over ``gpus``
            with ``sharding`` (ddp, zero1, zero2, zero3, fsdp).
        seq_len: for token inputs (int64, batch × tokens), simulate inference at this many tokens
            (a decoder's key/value cache grows with it).
        measure: time the model for real on this machine's CPU (a forward, and a training step with
            ``train``), beside the roofline prediction for this CPU (after ``archwise calibrate``). With a
            ``device``, latency is also predicted for that device.

    Returns:
        A frozen :class:`ModelProfile`.

    Raises:
        ArchwiseError: bad inputs, a model that fails at these shapes (the message names the
            module and the shapes it saw), or a model that needs a real run that cannot fit.

    Example:
        >>> import torch, archwise
        >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU())
        >>> p = archwise.profile(net, [(1, 3, 32, 32)])
        >>> p.params.total, p.macs_forward, p.method
        (224, 194400, 'meta')
    """
    if not isinstance(model, nn.Module):
        raise ArchwiseError(f"expected a torch.nn.Module to profile, found {type(model).__name__}")
    args, kwargs = normalize_inputs(inputs)
    notes: list[str] = []
    try:
        tracer, method = _run(model, args, kwargs, real=False, backward=backward), "meta"
    except _MetaUnsupported as stop:
        notes.append(_fallback_note(stop))
        model = _model_for_real_run(model, stop, _rebuild_on_cpu)
        tracer, method = _run(model, args, kwargs, real=True, backward=backward), "real"
        if any(isinstance(s, InputSpec) and not (s.dtype.is_floating_point or s.dtype == torch.bool) and s.low is None
               for s in [*args, *kwargs.values()]):
            notes.append("integer inputs were filled with zeros for the real run; give a value range such as "
                         "int64:2x500:0..100 where values change the work done")
    result = _result(model, tracer, args, kwargs, method, notes)
    if _memory:  # design asks for latency alone and simulates training memory itself
        result = _with_memory(result, model, args, kwargs, train, optimizer, precision, checkpointing, device, memory,
                              gpus, sharding, headroom, seq_len, search_batch)
    if device is not None or measure:
        result = _with_latency(result, tracer, model, args, train, optimizer, precision, device, measure,
                               _rebuild_on_cpu, backward)
    return result


def _with_latency(result: ModelProfile, tracer: Tracer, model: nn.Module, args: list, train: bool, optimizer: str,
                  precision: str, device: str | None, measure: bool,
                  rebuild: Callable[[], nn.Module] | None, backward: bool = True) -> ModelProfile:
    """Predict latency on ``device`` (and this CPU, when measuring), and measure on this CPU."""
    from dataclasses import replace

    from ..devices import Device, get_device, local_cpu
    from ._step import OptimizerName, parse_enum
    from .latency import LatencyReport, in_precision, loss_costs, measure_model, optimizer_costs, predict

    batch = int(args[0].shape[0]) if args and len(args[0].shape) else 1
    costs = in_precision(tracer.costs, precision)
    notes: list[str] = []
    local = local_cpu()
    target = get_device(device) if device else local
    calibrated = bool(local.bandwidth)

    def on(dev: Device) -> LatencyReport:
        """The forward, backward and optimizer kernels as they run on ``dev`` (the optimizer per tensor
        on a CPU, multi-tensor on a GPU, as PyTorch picks)."""
        if not backward:  # a forward only: no training step to predict
            return predict(costs, dev, batch, dict(tracer.dispatched), step=False)
        step, count = optimizer_costs(list(model.parameters()), optimizer, precision, foreach=dev.is_gpu)
        return predict([*costs, *loss, *step], dev, batch,
                       {**tracer.dispatched, "loss": loss_count, "optimizer": count},
                       parse_enum(OptimizerName, optimizer, "optimizer").value,
                       sum(1 for p in model.parameters() if p.requires_grad))

    loss, loss_count = loss_costs(*tracer.loss_input) if tracer.loss_input and backward else ([], 0)

    if target.name == "cpu" and not calibrated:
        notes.append("this CPU is not calibrated: run archwise calibrate to predict its latency")
        report = None
    else:
        report = on(target)
    if calibrated and (target.name == "cpu" or measure):
        notes += [n for n in local.notes if "older archwise" in n]
    if measure:
        forward_s, step_s, why = measure_model(model, args, train=train, optimizer=optimizer, precision=precision,
                                               rebuild=rebuild)
        notes += why
        local_report = on(local) if calibrated else None
        if report is None and local_report is not None:
            report = local_report
        if report is not None:
            report = replace(report, measured_forward_s=forward_s, measured_train_step_s=step_s if train else None,
                             local_forward_s=local_report.forward_s if local_report else None,
                             local_train_step_s=local_report.train_step_s if local_report else None)
        elif forward_s is not None:
            report = LatencyReport("cpu", batch, 0.0, 0.0, 0.0, (), 0.0, forward_s, step_s if train else None)
    if report is None and not notes:
        return result
    if report is None:
        return replace(result, notes=(*result.notes, *notes))
    return replace(result, latency=replace(report, notes=(*report.notes, *notes)))


def _with_memory(result: ModelProfile, model: nn.Module, args: list, kwargs: dict, train: bool, optimizer: str,
                 precision: str, checkpointing: bool, device: str | None, memory: str | int | None, gpus: int,
                 sharding: str | None, headroom: float, seq_len: int | None, search_batch: bool) -> ModelProfile:
    """Add the memory simulation and the fit verdict the options ask for."""
    from dataclasses import replace

    from .fit import _device, fit, simulation_target
    from .memory import simulate_inference, simulate_training

    wants_fit = device is not None or memory is not None
    if not (train or wants_fit or seq_len):
        return result
    inputs = {**dict(enumerate(args)), **kwargs} if kwargs else args
    target = simulation_target(_device(device, memory)) if wants_fit else "cpu"
    report = None
    if wants_fit:
        report = fit(model, args, device=device, memory=memory, train=train, optimizer=optimizer, precision=precision,
                     checkpointing=checkpointing, headroom=headroom, gpus=gpus, sharding=sharding,
                     search_batch=search_batch)
    training = None
    if train:
        training = report.memory if report is not None else simulate_training(
            model, inputs, optimizer=optimizer, precision=precision, checkpointing=checkpointing, target=target)
    if report is not None and not train and not seq_len:
        inference = report.memory
    else:
        inference = simulate_inference(model, _at_seq_len(args, seq_len) if seq_len else inputs, precision=precision,
                                       target=target)
    return replace(result, training_memory=training, inference_memory=inference, fit=report)


def _at_seq_len(args: list, seq_len: int) -> list:
    """Token inputs (int64, batch × tokens) at ``seq_len`` tokens; other inputs as they are."""
    return [InputSpec((a.shape[0], seq_len), torch.int64) if a.dtype == torch.int64 and len(a.shape) == 2 else a
            for a in args]


# --- running ------------------------------------------------------------------------------------
def _run(model: nn.Module, args: list, kwargs: dict, *, real: bool, backward: bool) -> Tracer:
    swap, param_ids = _stand_ins(model, real)
    generator = torch.Generator().manual_seed(0)
    call_args = [_input_tensor(a, real, generator) for a in args]
    call_kwargs = {k: _input_tensor(v, real, generator) for k, v in kwargs.items()}
    tracer = Tracer(model, param_ids, to_meta=not real)
    for name, t in swap.items():
        if id(t) in param_ids:
            tracer.param_names.setdefault(id(t), name)
    tracer.add_inputs([*call_args, *call_kwargs.values()])
    with torch.enable_grad(), torch.random.fork_rng(devices=[]), swapped(model, swap), tracer.attached():
        try:
            out = model(*call_args, **call_kwargs)
            outs = tracer.finish_forward(out)
            roots = list({id(t): t for t in outs if t.requires_grad and t.is_floating_point()}.values())
            tracer.loss_input = (tuple(roots[0].shape), roots[0].dtype) if roots else None
            if backward and roots:
                torch.autograd.backward(roots, [torch.ones_like(r) for r in roots])
        except ArchwiseError:
            raise
        except Exception as err:  # the model's own failure, or a missing meta kernel
            failure = tracer.record_failure()
            if not real and _is_meta_limitation(err, failure):
                raise _MetaUnsupported(failure, err, _real_run_estimate(model, tracer.forward_bytes)) from err
            raise ArchwiseError(_model_failure_message(failure, err, args, kwargs)) from err
    return tracer


def _stand_ins(model: nn.Module, real: bool) -> tuple[dict[str, torch.Tensor], set[int]]:
    """Meta (or, for a real run, detached CPU) tensors to swap in for every parameter and buffer.

    Real runs reuse the model's own storage for parameters (``detach`` copies nothing; gradients
    go to the stand-in) and clone buffers, which the forward may update in place (batch-norm
    running statistics).
    """
    def param(p: torch.Tensor) -> torch.Tensor:
        t = torch.empty_like(p, device="meta") if not real else _random_like(p) if p.is_meta else p.detach().cpu()
        return trainable(t, p)

    def buffer(b: torch.Tensor) -> torch.Tensor:
        if not real:
            return torch.empty_like(b, device="meta")
        if b.is_meta:
            return torch.ones(b.shape, dtype=b.dtype) if b.is_floating_point() else torch.zeros(b.shape, dtype=b.dtype)
        return b.detach().cpu().clone()

    swap, params = stand_ins(model, param, buffer)
    return swap, {id(p) for p in params}


def _random_like(p: torch.Tensor) -> torch.Tensor:
    if p.is_floating_point():
        return torch.empty(p.shape, dtype=p.dtype).normal_(0.0, 0.02)
    return torch.zeros(p.shape, dtype=p.dtype)


def _input_tensor(item: InputSpec | torch.Tensor, real: bool, generator: torch.Generator) -> torch.Tensor:
    if isinstance(item, InputSpec):
        return item.real(generator) if real else item.meta()
    grad = item.requires_grad
    t = item.detach().cpu() if real else item.detach().to("meta")
    return t.requires_grad_(grad) if grad else t


# --- fallback -----------------------------------------------------------------------------------
def _needs_values(err: BaseException, failure: TraceFailure) -> bool:
    text = str(err).lower()
    return failure.op in _DATA_DEPENDENT_OPS or "nonzero" in text or "data-dependent" in text or "data-independent" in text


def _is_meta_limitation(err: BaseException, failure: TraceFailure) -> bool:
    if isinstance(err, NotImplementedError) or failure.op in _DATA_DEPENDENT_OPS:
        return True
    text = str(err).lower()
    return "meta" in text or "data-dependent" in text or "data dependent" in text


def _where(failure: TraceFailure) -> str:
    if failure.module:
        return f"module '{failure.module}' ({failure.module_type})"
    return f"the model's own forward ({failure.module_type})"


def _fallback_note(stop: _MetaUnsupported) -> str:
    f = stop.failure
    if _needs_values(stop.error, f):
        why = f"{f.op or 'an op'} needs tensor values (its output shape depends on them), which meta tensors lack"
    else:
        why = f"{f.op or 'an operation'} cannot run on meta tensors ({_first_line(stop.error)})"
    return f"meta run stopped in {_where(f)}: {why}; profiled with a real run on the CPU at the same shapes"


def _model_for_real_run(model: nn.Module, stop: _MetaUnsupported,
                        rebuild: Callable[[], nn.Module] | None) -> nn.Module:
    needed, available = stop.estimate_bytes, _available_memory()
    if available is not None and needed > _REAL_RUN_HEADROOM * available:
        raise ArchwiseError(
            f"the meta run stopped at {stop.failure.op or 'an op'} in {_where(stop.failure)} and a real run on "
            f"the CPU would need about {_gb(needed)} (weights, gradients and activations) but only {_gb(available)} "
            "is available; profile a smaller configuration of the model (fewer layers, a smaller batch)"
        ) from stop.error
    has_meta_weights = any(t.is_meta for t in (*model.parameters(), *model.buffers()))
    if has_meta_weights and rebuild is not None:
        return rebuild()
    return model


def _real_run_estimate(model: nn.Module, forward_bytes: int) -> int:
    """Bytes a real CPU run needs beyond what is resident: weights still on meta, gradients, and
    twice the bytes the forward had allocated when the meta run stopped (activations and their
    gradients; the rest of the forward is unknown, so this is a floor)."""
    params = list({id(p): p for p in model.parameters()}.values())
    to_make = sum(p.numel() * p.element_size() for p in params if p.is_meta)
    grads = sum(p.numel() * p.element_size() for p in params if p.requires_grad)
    return to_make + grads + 2 * forward_bytes


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    with contextlib.suppress(ValueError, OSError, AttributeError):
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return None


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _model_failure_message(failure: TraceFailure, err: BaseException, args: list, kwargs: dict) -> str:
    given = ", ".join(_describe_all(args, kwargs))
    shapes = _shapes(failure.input_shapes) or "no tensors"
    where = _where(failure)
    op = f"{failure.op}({_shapes(failure.op_shapes)}) raised " if failure.op else ""
    return (f"the model failed in {where}, which received {shapes}: {op}{_first_line(err)}; "
            f"check the input shapes (the model was given {given})")


def _shapes(shapes: list[tuple[int, ...]]) -> str:
    return ", ".join("x".join(map(str, s)) or "scalar" for s in shapes)


def _describe(item: InputSpec | torch.Tensor) -> str:
    if isinstance(item, InputSpec):
        return item.describe()
    dims = "x".join(str(d) for d in item.shape) or "scalar"
    return dims if item.dtype == torch.float32 else f"{dtype_name(item.dtype)}:{dims}"


def _describe_all(args: list, kwargs: dict) -> tuple[str, ...]:
    named = [v.describe() if isinstance(v, InputSpec) else f"{k}={_describe(v)}" for k, v in kwargs.items()]
    return (*(_describe(a) for a in args), *named)


# --- the result ---------------------------------------------------------------------------------
def _result(model: nn.Module, tracer: Tracer, args: list, kwargs: dict, method: str, notes: list[str]) -> ModelProfile:
    owner: dict[int, str] = {}
    direct: dict[str, int] = {}
    tied: dict[str, list[str]] = {}
    total = trainable = nbytes = 0
    leaves: set[str] = set()
    for path, module in model.named_modules():
        if next(module.children(), None) is None:
            leaves.add(path)
        for name, p in module._parameters.items():
            if p is not None and id(p) in owner:
                tied.setdefault(path, []).append(f"{name}={owner[id(p)] or '(model)'}")
            if p is None or id(p) in owner:
                continue
            owner[id(p)] = path
            direct[path] = direct.get(path, 0) + p.numel()
            total += p.numel()
            trainable += p.numel() if p.requires_grad else 0
            nbytes += p.numel() * p.element_size()
    rows = [
        LayerProfile(st.path, st.type, st.output_shape, direct.get(st.path, 0), st.flops_forward, st.flops_backward,
                     st.calls, tuple(tied.get(st.path, ())))
        for st in sorted(tracer.stats.values(), key=lambda st: st.order)
        if direct.get(st.path) or st.path in tied or st.flops_forward or st.flops_backward or (st.path in leaves and st.calls)
    ]
    structure = analyze(tracer.nodes, tracer.outputs, list(tracer.families), list(tracer.module_edges))
    return ModelProfile(
        model=type(model).__name__,
        inputs=_describe_all(args, kwargs),
        params=ParamStats(total, trainable, nbytes),
        flops_forward=sum(st.flops_forward for st in tracer.stats.values()),
        flops_backward=sum(st.flops_backward for st in tracer.stats.values()),
        layers=tuple(rows),
        structure=structure,
        method=method,
        notes=tuple(notes),
        flops_by_op={op: (f, b) for op, (f, b) in sorted(tracer.flops_by_op.items(), key=lambda kv: -sum(kv[1]))},
        unused_parameters=_unused(model, tracer),
    )


def _unused(model: nn.Module, tracer: Tracer) -> tuple[tuple[str, int], ...]:
    """Parameters (name, elements) that no op of the forward read: they get no gradient."""
    names = tracer.param_names
    sizes = dict(model.named_parameters())
    return tuple((name, sizes[name].numel()) for pid, name in names.items()
                 if pid not in tracer.used_params and name in sizes)
