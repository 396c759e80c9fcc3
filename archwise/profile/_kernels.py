"""Kernel models: what real kernels allocate that PyTorch's fake kernels do not.

The memory simulation runs PyTorch's fake kernels, which allocate exactly a kernel's outputs. Real
kernels can also keep a workspace for the backward (oneDNN's LSTM) or hold buffers while they run
(oneDNN's reorders, scratchpads). ``KernelModel`` adds those, each from the kernel's own source
where it could be read (oneDNN's ``rnn_utils``) and by measuring the real kernel where it could
not (oneDNN's convolutions), and says where it had to assume something.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.profiler import ProfilerActivity, profile
from torch.utils._python_dispatch import TorchDispatchMode, _disable_current_modes

from ._native import quiet_profile

__all__ = ["KernelModel", "measure_conv_transient"]

aten = torch.ops.aten


class KernelModel(TorchDispatchMode):
    """Where PyTorch's fake kernels differ from the real CPU kernels in what they allocate.

    * ``mkldnn_rnn_layer`` and its backward (every ``nn.LSTM`` layer on the CPU): the fake kernel
      returns an empty workspace where oneDNN returns one sized by ``_onednn_lstm_workspace``, and
      allocates nothing inside where oneDNN briefly holds weight copies and a scratchpad
      (``_onednn_lstm_transient``). The shim sits above the tracker, so what it allocates is counted.
    * Data-dependent ops get a shape by assuming every mask element is true (``nonzero`` returns
      every index; boolean indexing keeps every element), the assumption PyTorch's own opt-in meta
      ``nonzero`` makes. Exact for masks that keep everything (a graph without self-loops in PyG's
      self-loop handling); an upper bound otherwise. Each use is noted.
    * While ``scalars`` is set (the optimizer's step), ``.item()`` returns 1 (``scalar_stand_in``):
      Adafactor scales its update by a parameter's norm read back to Python. Noted when used.
    * ``convolution`` and its backward, on the CPU target: oneDNN reorders activations and weights
      into its blocked layouts inside the kernel, and which buffers it needs depends on the
      algorithm it picks for the exact shape (it changes with the batch size). No formula holds, so
      each distinct convolution is run once for real at its shape and what it held beyond its
      outputs is replayed in the simulation (``measure_conv_transient``); a layer whose real run
      would need more than ``max_measure_bytes`` is not run, and that is noted.

    The mode sits above the storage tracker, so what it allocates is counted.
    """

    def __init__(self, target: str = "cpu", max_measure_bytes: int = 1 << 30) -> None:
        super().__init__()
        self.target = target
        self.max_measure_bytes = max_measure_bytes
        self.notes: list[str] = []
        self.scalars = False  # answer .item() with 1 (set while the optimizer steps: Adafactor reads a norm)
        self._conv_cache: dict[tuple, int] = {}

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def _assumed(self, what: str) -> None:
        self._note(f"{what} has no shape without tensor values; assumed every mask element true (an upper bound)")

    def _convolution(self, func: Any, args: tuple, kwargs: dict) -> Any:
        out = func(*args, **kwargs)  # outputs first: the kernel allocates them before its reorders
        key = _conv_key(func, args)
        if key not in self._conv_cache:
            self._conv_cache[key] = measure_conv_transient(func, args, self.max_measure_bytes)
            if self._conv_cache[key] is None:
                self._note("a convolution too large to run for real here: its oneDNN workspace is not included")
        held = self._conv_cache[key] or 0
        if held:
            scratch = torch.empty((held,), dtype=torch.uint8, device=args[0].device)
            del scratch
        return out

    def _onednn_lstm(self, func: Any, args: tuple, kwargs: dict) -> Any:
        backward = func is aten.mkldnn_rnn_layer_backward.default
        x = args[0]
        hidden = args[15] if backward else args[10]
        # PyTorch hands the kernel a time-major (T, B, I) input whatever its batch_first flag says.
        size = (x.shape[0], x.shape[1], hidden, x.shape[-1])
        held = _onednn_lstm_transient(*size, backward, x.element_size())
        if backward:  # PyTorch's wrapper: a contiguous grad_output, zeros for missing grads, b_ih + b_hh
            grad_out, grad_hy, grad_cy = args[10], args[11], args[12]
            if grad_out is None:
                held += size[0] * size[1] * hidden * x.element_size()
            elif not grad_out.is_contiguous():
                held += grad_out.numel() * grad_out.element_size()
            held += sum(size[1] * hidden * x.element_size() for g in (grad_hy, grad_cy) if g is None)
            held += 4 * hidden * x.element_size()
        # The fp32 kernel allocates its outputs first and its scratch after, so both are live at its
        # peak; the bf16 backward computes into fp32 temporaries (counted in `held`), and its bf16
        # outputs are made only after the kernel has let go of everything else.
        outputs_first = not (backward and x.element_size() == 2)
        out = func(*args, **kwargs) if outputs_first else None
        scratch = torch.empty((held,), dtype=torch.uint8, device=x.device)
        del scratch  # held only while the kernel runs
        if out is None:
            out = func(*args, **kwargs)
        if not backward and args[15]:  # training: the forward keeps a workspace for backward
            workspace = _onednn_lstm_workspace(*size, x.element_size())
            out = (*out[:3], torch.empty((workspace,), dtype=torch.uint8, device=x.device))
        return out

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        if func in (aten.mkldnn_rnn_layer.default, aten.mkldnn_rnn_layer_backward.default):
            return self._onednn_lstm(func, args, kwargs)  # on a GPU target, an approximation of cuDNN's
        if self.target == "cpu" and func in (aten.convolution.default, aten.convolution_backward.default):
            return self._convolution(func, args, kwargs)
        if func is aten._local_scalar_dense.default and self.scalars:
            try:
                return func(*args, **kwargs)  # fake tensors know the values of small constants (step counts)
            except Exception:  # noqa: BLE001 - a data-dependent value
                pass
            self._note("the optimizer reads a tensor's value (.item(), as Adafactor does for a parameter's norm), "
                       "which fake tensors lack; 1 was assumed: it scales the update, not the memory")
            return scalar_stand_in(args[0])
        if func is aten.nonzero.default:
            self._assumed("aten.nonzero")
            x = args[0]
            return torch.empty((x.numel(), x.dim()), dtype=torch.long, device=x.device)
        if func is aten.index.Tensor and any(i is not None and i.dtype == torch.bool for i in args[1]):
            self._assumed("boolean-mask indexing")
            indices: list[Any] = []
            for i in args[1]:
                if i is not None and i.dtype == torch.bool:
                    indices += [torch.empty((i.numel(),), dtype=torch.long, device=i.device)] * i.dim()
                else:
                    indices.append(i)
            return func(args[0], indices)
        return func(*args, **kwargs)


def scalar_stand_in(t: torch.Tensor) -> Any:
    """What ``.item()`` of ``t`` returns when ``t`` has no values: 1 in its kind of Python number."""
    return True if t.dtype == torch.bool else 1.0 if t.is_floating_point() or t.is_complex() else 1


def _conv_key(func: Any, args: tuple) -> tuple:
    def describe(a: Any) -> Any:
        if isinstance(a, torch.Tensor):
            return ("T", tuple(a.shape), tuple(a.stride()), a.dtype)
        if isinstance(a, (list, tuple)):
            return tuple(describe(x) for x in a)
        return a

    return (func.__name__, *(describe(a) for a in args))


def measure_conv_transient(func: Any, args: tuple, max_bytes: int) -> int | None:
    """Run one convolution (or its backward) for real on the CPU at these shapes and return the
    most bytes it held beyond its outputs, from the profiler's allocation events; None when the
    run would need more than ``max_bytes``."""
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    if 4 * sum(t.numel() * t.element_size() for t in tensors) > max_bytes:
        return None
    with _disable_current_modes(), torch.no_grad():
        real = [_real_like(a) if isinstance(a, torch.Tensor) else a for a in args]
        func(*real)  # warm-up: oneDNN creates its primitive (and caches it) on first use
        with quiet_profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            out = func(*real)  # kept until the profile ends, so its outputs count as outputs
        del out
    return _transient_of(prof)


def _real_like(t: torch.Tensor) -> torch.Tensor:
    return torch.empty_strided(tuple(t.shape), tuple(t.stride()), dtype=t.dtype).normal_() \
        if t.is_floating_point() else torch.zeros(tuple(t.shape), dtype=t.dtype)


def _transient_of(prof: profile) -> int:
    """The most bytes held at once beyond what remained at the end (the op's outputs)."""
    from .measure import allocation_sizes

    running = peak = 0
    for size in allocation_sizes(prof):
        running += size
        peak = max(peak, running)
    return max(peak - running, 0)


def _onednn_lstm_workspace(steps: int, batch: int, hidden: int, inputs: int, element_size: int) -> int:
    """Bytes of the workspace oneDNN's LSTM forward keeps for backward, for one layer and direction.

    From oneDNN v3's ``rnn_utils``: page-aligned regions for the gates (T·B·ld(4H)), the hidden
    states h (T·B·ld(H)), three states regions ((T+1)·2·B·ld(max(I, H)); ``ws_states_iter`` is
    registered twice) and two cell-state regions ((T+1)·2·B·H), where ld pads a row to 64 bytes
    and off multiples of 256 elements. Checked to the byte against the real kernel on ten shapes in
    fp32 and seven in bf16 (where some regions keep fp32, found by fitting those measurements).
    """
    ld, page = _ld, _page
    t, b, h, m = steps, batch, hidden, max(inputs, hidden)
    if element_size == 4:
        regions = [t * b * ld(4 * h, 4) * 4, t * b * ld(h, 4) * 4, *[2 * (t + 1) * b * ld(m, 4) * 4] * 3,
                   *[2 * (t + 1) * b * h * 4] * 2]
    else:
        regions = [t * b * ld(4 * h, 2) * 2, t * b * ld(h, 2) * 2, 2 * (t + 1) * b * ld(m, 2) * 2,
                   *[2 * (t + 1) * b * ld(m, 4) * 4] * 2, 2 * (t + 1) * b * h * 2, 2 * (t + 1) * b * h * 4]
    return sum(page(r) for r in regions)


def _onednn_lstm_transient(steps: int, batch: int, hidden: int, inputs: int, backward: bool,
                           element_size: int = 4) -> int:
    """Bytes an oneDNN LSTM layer holds only while it runs.

    fp32, fitted to the allocations the profiler records inside the real kernels and exact on six
    shapes: the weights reordered to oneDNN's layouts (I × ld(4H) and H × ld(4H); the backward adds
    4H × ld(I) and 4H × ld(H) copies when padding changes the row), the bias, and a scratchpad of
    ld(4H)-wide gates for every step. bf16 (autocast): bf16 and fp32 weight copies, PyTorch's fp32
    temporaries for the backward's inputs and outputs, and a per-step scratchpad, within a few KB.
    """
    t, b, h, i = steps, batch, hidden, inputs
    gates = _ld(4 * h, 4)
    small = 2 * _page(b * _ld(h, 4) * 4)
    if element_size == 4:
        held = (i + h) * gates * 4 + 4 * h * 4
        if backward:
            held += (4 * h * _ld(i, 4) * 4 if _ld(i, 4) != i else 0) + (4 * h * _ld(h, 4) * 4 if _ld(h, 4) != h else 0)
        return held + _page(t * b * gates * 4) + small + 4664
    if not backward:
        return 4 * h * (i + h) * 2 + _page(b * gates * 4) + small + 6600
    fp32_temporaries = t * b * (i + h) * 4 + 4 * b * h * 4 + 4 * h * (i + h + 1) * 4
    weights = 4 * h * (i + h) * 2 + (i + h) * gates * 4 + 4 * h * 4
    return fp32_temporaries + weights + 3 * _page(b * gates * 4) + small + 16384


def _ld(dim: int, size: int) -> int:
    """oneDNN's ``get_good_ld``: a row padded to 64 bytes, and off multiples of 256 elements."""
    step = 64 // size
    padded = -(-dim // step) * step
    return padded + step if padded % 256 == 0 else padded


def _page(n: int) -> int:
    return -(-n // 4096) * 4096
