"""Record every aten op of one forward and one backward pass, charged to the module that ran it.

The tracer is a ``TorchDispatchMode`` (it sees each op below autograd, with its real tensors)
plus global module hooks (they keep a stack of the modules being run). For each op it:

* counts FLOPs (``flops.count_flops``) and charges them to a module path. In the forward the
  path is the innermost module on the stack; in the backward it is the module whose forward
  created the autograd node being run, read from ``grad_fn.metadata``, which the tracer writes
  when the forward tensor is first consumed.
* records a graph node when the op consumes an activation (a tensor that depends on a model
  input). Tensors that depend only on parameters (``weight.t()``, casts of weights) are marked
  ``PARAM``; everything else (buffers, constants, ``arange``) ``CONST``. An op that multiplies
  an activation by a ``PARAM`` matrix is a weighted layer. Recurrent modules (LSTM, GRU, RNN and
  their cells) are collapsed to one node of ``num_layers`` weighted layers, since their
  unrolled time steps are not layers of the network.

``structure.py`` turns the graph into depth, widths, skip connections and families.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_unflatten
from torch.utils.weak import WeakTensorKeyDictionary

from ._ops import (
    ACTIVATION_OPS, ATTENTION_OPS, CONV_OPS, EMBEDDING_OPS, MATMUL_OPERANDS, NORM_OPS, POOL_OPS,
    RECURRENT_MODULES, SOFTMAX_OPS, aten, family_of_class, is_spatial_mean,
)
from .flops import SPARSE_AGGREGATION_OPS, aggregation_source, count_flops

PARAM = -1
CONST = -2
_TAG = "archwise_module"

@dataclass
class Node:
    """One op of the forward pass that consumed an activation (or a model input, or a collapsed RNN)."""

    idx: int
    op: str  # aten op name such as "aten.addmm", "input", or the collapsed module's class name
    module: str  # path of the module that ran it ("" is the model itself)
    preds: tuple[int, ...]  # nodes whose activations it consumed
    shape: tuple[int, ...]  # shape of its (first) output
    weight: int = 0  # weighted layers it stands for: 1 for a conv or linear, num_layers for an RNN
    kind: str | None = None  # "convolution" | "linear" | "recurrent" for weighted nodes
    width: int | None = None  # output channels / features / hidden size of a weighted node
    flag: str | None = None  # "act_matmul" (activation × activation product), "softmax", "mul", "add", "cat"
    in_shapes: tuple[tuple[int, ...], ...] = ()  # shapes of its activation inputs (joins, attention)
    in_width: int | None = None  # input channels / features of a weighted node
    kernel: tuple[int, ...] = ()  # a convolution's kernel size
    groups: int = 1  # a convolution's groups (= in_width for depthwise)
    stride: tuple[int, ...] = ()  # a convolution's stride


@dataclass
class ModuleStats:
    path: str
    type: str
    order: int  # when it was first called (modules that never ran keep a large order)
    calls: int = 0
    flops_forward: int = 0
    flops_backward: int = 0
    output_shape: tuple[int, ...] | None = None


@dataclass
class OpCost:
    """What one kernel costs, for the roofline: work, traffic and the dtype it computes in."""

    phase: str  # "forward" | "backward"
    module: str
    kind: str  # "matmul" | "conv" | "rnn" (inside a recurrent layer, fused on real hardware) | "other"
    flops: int
    bytes: int  # bytes read and written: every tensor argument and result
    dtype: str  # "fp32" | "bf16" | "fp16" | …
    limit: int = 0  # smallest dimension of the equivalent matrix product (what bounds a kernel's efficiency)
    op: str = ""  # the aten op, for per-op calibration (convolutions: "….depthwise", "….pointwise" for 1×1)


_NO_KERNEL = {aten._unsafe_view, aten.lift_fresh, aten._reshape_alias}


@dataclass
class TraceFailure:
    """Where a forward failed: the op (if it was an op), the module stack and its input shapes."""

    op: str | None
    op_shapes: list[tuple[int, ...]]  # shapes of the failing op's tensor arguments
    module: str
    module_type: str
    input_shapes: list[tuple[int, ...]] = field(default_factory=list)


def _tensors(obj: Any) -> Iterator[torch.Tensor]:
    """Tensors in an op's arguments or outputs (one level of lists/tuples, as aten ops use)."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            if isinstance(item, torch.Tensor):
                yield item
            elif isinstance(item, (list, tuple)):
                yield from (t for t in item if isinstance(t, torch.Tensor))


def tensors_in(obj: Any) -> list[torch.Tensor]:
    """All tensors in any nested output (tuples, dicts, HF ``ModelOutput``s, dataclasses)."""
    found: list[torch.Tensor] = []
    seen: set[int] = set()

    def walk(o: Any, depth: int) -> None:
        if depth > 8 or id(o) in seen:
            return
        if isinstance(o, torch.Tensor):
            seen.add(id(o))
            found.append(o)
        elif isinstance(o, dict):
            for v in o.values():
                walk(v, depth + 1)
        elif isinstance(o, (list, tuple)):
            for v in o:
                walk(v, depth + 1)
        elif hasattr(o, "__dataclass_fields__"):
            for name in o.__dataclass_fields__:
                walk(getattr(o, name, None), depth + 1)
        elif hasattr(o, "to_tuple"):
            walk(o.to_tuple(), depth + 1)
        elif hasattr(o, "layers") and isinstance(getattr(o, "layers"), (list, tuple)):  # HF caches
            for layer in o.layers:
                walk(getattr(layer, "keys", None), depth + 1)
                walk(getattr(layer, "values", None), depth + 1)

    walk(obj, 0)
    return found


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in t.shape) if isinstance(t, torch.Tensor) else ()


class Tracer(TorchDispatchMode):
    """Counts FLOPs per module and records the activation graph of one training step."""

    def __init__(self, model: nn.Module, param_ids: set[int], to_meta: bool) -> None:
        super().__init__()
        self.to_meta = to_meta
        self.param_ids = param_ids
        self.phase = "forward"
        self.paths: dict[int, str] = {}
        self.stats: dict[str, ModuleStats] = {}
        for order, (path, module) in enumerate(model.named_modules()):
            self.paths[id(module)] = path
            self.stats[path] = ModuleStats(path, type(module).__name__, order=10**9 + order)
        self.calls_seen = 0
        self.stack: list[str] = []
        self.frames: list[tuple[str, list[tuple[int, ...]]]] = []
        self.nodes: list[Node] = []
        self.outputs: list[int] = []
        self.families: dict[str, int] = {}
        self.flops_by_op: dict[str, list[int]] = {}
        self.forward_bytes = 0  # bytes of new tensors the forward made (views and in-place results excluded)
        self.costs: list[OpCost] = []
        self.dispatched = {"forward": 0, "backward": 0}  # every op, views included: each costs eager overhead
        self.loss_input: tuple[tuple[int, ...], torch.dtype] | None = None  # what a training loss would read
        self.recurrent_paths: set[str] = {p for p, m in model.named_modules() if isinstance(m, RECURRENT_MODULES)}
        self._failed_op: str | None = None
        self._failed_shapes: list[tuple[int, ...]] = []
        self._tmap = WeakTensorKeyDictionary()  # tensor -> node index, PARAM or CONST
        self._producer = WeakTensorKeyDictionary()  # tensor -> path of the module whose op made it
        self._collapse: list[tuple[nn.Module, list[int]]] = []
        self.param_names: dict[int, str] = {}  # parameter stand-in id -> its (first) name
        self.used_params: set[int] = set()  # ids of parameter stand-ins some forward op read
        self.leaves = {p for p, m in model.named_modules() if next(m.children(), None) is None}
        self.module_edges: dict[tuple[str, str], None] = {}  # (leaf module, leaf module its output fed), in order
        self._leaf_out = WeakTensorKeyDictionary()  # tensor -> the last leaf module that returned it
        self._handles: list[Any] = []

    # --- set-up -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def attached(self) -> Iterator[Tracer]:
        """Install the module hooks and the dispatch mode; remove both on exit, whatever happens."""
        self._handles = [
            register_module_forward_pre_hook(self._on_module_start),
            register_module_forward_hook(self._on_module_end),
        ]
        try:
            with self:
                yield self
        finally:
            for handle in self._handles:
                handle.remove()
            self._handles = []

    def add_inputs(self, tensors: list[torch.Tensor]) -> None:
        for t in tensors:
            node = self._new_node("input", "", (), _shape(t))
            self._tmap[t] = node.idx

    def finish_forward(self, output: Any) -> list[torch.Tensor]:
        """Mark the model's outputs and tag their autograd nodes; return the output tensors."""
        outs = tensors_in(output)
        for t in outs:
            tag = self._tmap.get(t)
            if tag is not None and tag >= 0 and tag not in self.outputs:
                self.outputs.append(tag)
            self._tag_grad_fn(t)
        self.phase = "backward"
        return outs

    # --- module hooks ---------------------------------------------------------------------------
    def _on_module_start(self, module: nn.Module, args: tuple) -> None:
        path = self.paths.get(id(module))
        if path is None:
            return
        self.stack.append(path)
        shapes = [_shape(t) for t in tensors_in(args)]
        self.frames.append((path, shapes))
        stats = self.stats[path]
        if self.phase == "forward" and path in self.leaves:
            for t in tensors_in(args):
                src = self._leaf_out.get(t)
                if src is not None and src != path:
                    self.module_edges[(src, path)] = None
        if self.phase == "forward" and (family := family_of_class(stats.type)):
            self._family(family, len(self.nodes))
        if stats.calls == 0:
            stats.order = self.calls_seen
            self.calls_seen += 1
        stats.calls += 1
        if self.phase == "forward" and isinstance(module, RECURRENT_MODULES):
            preds = [tag for t in tensors_in(args) if (tag := self._tmap.get(t)) is not None and tag >= 0]
            self._collapse.append((module, preds))

    def _on_module_end(self, module: nn.Module, args: tuple, output: Any) -> None:
        path = self.paths.get(id(module))
        if path is None:
            return
        if self.stack and self.stack[-1] == path:
            self.stack.pop()
            self.frames.pop()
        outs = tensors_in(output)
        if outs:
            self.stats[path].output_shape = _shape(outs[0])
        if self.phase == "forward" and path in self.leaves:
            for t in outs:
                self._leaf_out[t] = path
        if self.phase == "forward" and self._collapse and self._collapse[-1][0] is module:
            _, preds = self._collapse.pop()
            if not self._collapse:
                self._add_recurrent_node(module, path, preds, outs)

    def _add_recurrent_node(self, module: nn.Module, path: str, preds: list[int], outs: list[torch.Tensor]) -> None:
        layers = int(getattr(module, "num_layers", 1))
        width = int(getattr(module, "proj_size", 0) or module.hidden_size)
        node = self._new_node(type(module).__name__, path, tuple(dict.fromkeys(preds)), _shape(outs[0]) if outs else ())
        node.weight, node.kind, node.width = layers, "recurrent", width
        self._family("recurrent", node.idx)
        for t in outs:
            self._tmap[t] = node.idx
            self._producer[t] = path

    # --- the dispatch mode ----------------------------------------------------------------------
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        if self.to_meta:
            args, kwargs = _onto_meta(args, kwargs)
        try:
            out = func(*args, **kwargs)
        except Exception:
            self._failed_op = f"aten.{func.overloadpacket.__name__}"
            self._failed_shapes = [_shape(t) for t in _tensors(args)]
            raise
        flops = count_flops(func, args, kwargs, out)
        if self.phase == "forward":
            path = self.stack[-1] if self.stack else ""
            src_is_activation = self._record(func, args, kwargs, out, path)
            if func.overloadpacket in SPARSE_AGGREGATION_OPS and not src_is_activation:
                flops = 0  # degree counts and other bookkeeping are not message passing
            self.stats[path].flops_forward += flops
        else:
            node = torch._C._current_autograd_node()
            path = node.metadata.get(_TAG, "") if node is not None else ""
            self.stats[path].flops_backward += flops
        if flops:
            per_op = self.flops_by_op.setdefault(f"aten.{func.overloadpacket.__name__}", [0, 0])
            per_op[self.phase == "backward"] += flops
        if path not in self.recurrent_paths:  # a recurrent layer is one fused kernel on real hardware
            self.dispatched[self.phase] += 1
        if not func.is_view and func.overloadpacket not in _NO_KERNEL:
            self.costs.append(_cost(func, args, out, flops, self.phase, path, path in self.recurrent_paths))
        return out

    def _record(self, func: Any, args: tuple, kwargs: dict, out: Any, path: str) -> bool:
        """Classify the op's inputs, add a graph node if it consumes activations; return whether a
        sparse aggregation's source is an activation."""
        tags = []
        for t in (*_tensors(args), *_tensors(list(kwargs.values()))):
            self._tag_grad_fn(t)
            tags.append(self._tag_of(t))
            if id(t) in self.param_ids:
                self.used_params.add(id(t))
        outs = list(_tensors(out))
        inputs = {id(t) for t in _tensors(args)}
        for t in outs:
            self._producer[t] = path
            if t._base is None and id(t) not in inputs:
                self.forward_bytes += t.numel() * t.element_size()
        acts = tuple(dict.fromkeys(tag for tag in tags if tag >= 0))
        if self._collapse:
            return False
        if acts:
            node = self._new_node(f"aten.{func.overloadpacket.__name__}", path, acts, _shape(outs[0]) if outs else ())
            self._classify(node, func, args, path)
            result = node.idx
        else:
            result = PARAM if PARAM in tags else CONST
        for t in outs:
            self._tmap[t] = result
        if func.overloadpacket in SPARSE_AGGREGATION_OPS:
            src = aggregation_source(func, args, kwargs)
            return isinstance(src, torch.Tensor) and self._tag_of(src) >= 0
        return False

    def _classify(self, node: Node, func: Any, args: tuple, path: str) -> None:
        packet = func.overloadpacket
        in_family_module = bool(self.stack) and family_of_class(self.stats[self.stack[-1]].type) is not None
        if packet in MATMUL_OPERANDS:
            i, j = MATMUL_OPERANDS[packet]
            a, b = args[i], args[j]
            ta, tb = self._tag_of(a), self._tag_of(b)
            if ta >= 0 and tb == PARAM:
                node.weight, node.kind, node.width = 1, "linear", int(b.shape[-1]) if b.dim() > 1 else 1
                node.in_width = int(a.shape[-1]) if a.dim() else 1
            elif ta == PARAM and tb >= 0:
                node.weight, node.kind, node.width = 1, "linear", int(a.shape[-2]) if a.dim() > 1 else int(a.shape[0])
                node.in_width = int(a.shape[-1]) if a.dim() else 1
            elif ta >= 0 and tb >= 0:
                node.flag = "act_matmul"
                node.in_shapes = (_shape(a), _shape(b))
            if node.kind:
                self._family("linear", node.idx)
        elif packet in CONV_OPS:
            if self._tag_of(args[0]) >= 0 and self._tag_of(args[1]) == PARAM:
                node.weight, node.kind, node.width = 1, "convolution", int(node.shape[1]) if len(node.shape) > 1 else None
                weight, groups = args[1], int(args[8]) if len(args) > 8 else 1
                transposed = len(args) > 6 and bool(args[6])
                node.groups = groups
                node.in_width = int(weight.shape[0]) if transposed else int(weight.shape[1]) * groups
                node.kernel = tuple(int(k) for k in weight.shape[2:])
                node.stride = tuple(int(v) for v in args[3]) if len(args) > 3 else ()
                self._family("convolution", node.idx)
        elif packet in ATTENTION_OPS:
            node.in_shapes = tuple(_shape(t) for t in _tensors(args))[:3]
            self._family("attention", node.idx)
        elif packet in SOFTMAX_OPS:
            node.flag = "softmax"
            if near_act_matmul(self.nodes, node):
                self._family("attention", node.idx)
        elif in_family_module and (packet in NORM_OPS or packet in ACTIVATION_OPS):
            pass
        elif packet in NORM_OPS:
            kind = NORM_OPS[packet]
            if "InstanceNorm" in self.stats[path].type:
                kind = "instance_norm"
            self._family(kind, node.idx)
        elif packet in ACTIVATION_OPS:
            name = ACTIVATION_OPS[packet]
            if name == "hardtanh" and len(args) >= 3 and args[1] == 0 and args[2] == 6:
                name = "relu6"
            self._family(name, node.idx)
        elif packet in POOL_OPS:
            if packet != aten.mean or is_spatial_mean(args):
                self._family("pooling", node.idx)
        elif packet in EMBEDDING_OPS:
            if self._tag_of(args[0]) == PARAM:
                self._family("embedding", node.idx)
        elif packet in SPARSE_AGGREGATION_OPS:
            src = aggregation_source(func, args, {})
            if isinstance(src, torch.Tensor) and self._tag_of(src) >= 0:
                self._family("message_passing", node.idx)
        elif packet in (aten.add, aten.add_):
            node.flag = "add"
        elif packet in (aten.cat, aten.stack):
            node.flag = "cat"
        elif packet in (aten.mul, aten.mul_):
            node.flag = "mul"
        if node.flag in ("add", "cat", "mul"):
            node.in_shapes = tuple(_shape(t) for t in _tensors(args) if self._tag_of(t) >= 0)

    # --- helpers --------------------------------------------------------------------------------
    def _tag_of(self, t: Any) -> int:
        if not isinstance(t, torch.Tensor):
            return CONST
        tag = self._tmap.get(t)
        if tag is None:
            return PARAM if id(t) in self.param_ids else CONST
        return tag

    def _tag_grad_fn(self, t: torch.Tensor) -> None:
        fn = t.grad_fn
        if fn is not None:
            meta = fn.metadata
            if _TAG not in meta:
                path = self._producer.get(t)
                if path is not None:
                    meta[_TAG] = path

    def _new_node(self, op: str, module: str, preds: tuple[int, ...], shape: tuple[int, ...]) -> Node:
        node = Node(len(self.nodes), op, module, preds, shape)
        self.nodes.append(node)
        return node

    def _family(self, name: str, idx: int) -> None:
        self.families.setdefault(name, idx)

    def record_failure(self) -> TraceFailure:
        """Where the pass stopped: the innermost module still running, the shapes it received, the op."""
        path, shapes = self.frames[-1] if self.frames else ("", [])
        return TraceFailure(self._failed_op, self._failed_shapes, path,
                            self.stats[path].type if path in self.stats else "?", shapes)


def near_act_matmul(nodes: Sequence[Node], node: Node, hops: int = 4) -> bool:
    """Whether ``node`` (a softmax) reads an activation × activation product within ``hops`` weight-free
    ops: the scores of an attention."""
    frontier = list(node.preds)
    for _ in range(hops):
        if any(nodes[p].flag == "act_matmul" for p in frontier):
            return True
        frontier = [q for p in frontier for q in nodes[p].preds if nodes[p].weight == 0]
    return False


def _cost(func: Any, args: tuple, out: Any, flops: int, phase: str, path: str, recurrent: bool) -> OpCost:
    traffic = 0
    dtype = None
    for t in (*_tensors(args), *_tensors(out)):
        traffic += t.numel() * t.element_size()
        if dtype is None and t.is_floating_point():
            dtype = t.dtype
    packet = func.overloadpacket
    op_name = packet.__name__
    limit = 0
    if packet in MATMUL_OPERANDS:
        i, j = MATMUL_OPERANDS[packet]
        a, b = args[i], args[j]
        limit = min(a.shape[-2] if a.dim() > 1 else 1, a.shape[-1], b.shape[-1] if b.dim() > 1 else 1)
        kind = "matmul"
    elif packet in CONV_OPS or packet is aten.convolution_backward:
        weight = args[2] if packet is aten.convolution_backward else args[1]
        groups = args[9] if packet is aten.convolution_backward else (args[8] if len(args) > 8 else 1)
        produced = args[0] if packet is aten.convolution_backward else next(iter(_tensors(out)), None)
        positions = produced.numel() // max(produced.shape[1], 1) if produced is not None and produced.dim() > 1 else 1
        # the equivalent GEMM: (batch · output positions) × (C_in/g · kernel) × (C_out/g)
        limit = max(1, min(positions, weight[0].numel(), weight.shape[0] // max(groups, 1)))
        kind = "conv"
        if groups > 1 and weight.shape[1] == 1:  # depthwise: one filter per channel, a memory-bound kernel
            op_name = f"{packet.__name__}.depthwise"
        elif groups == 1 and weight[0, 0].numel() == 1:  # 1×1: a plain GEMM of low arithmetic intensity
            op_name = f"{packet.__name__}.pointwise"
    else:
        kind = "other"
    if recurrent:
        kind = "rnn"
    name = {torch.bfloat16: "bf16", torch.float16: "fp16", torch.float64: "fp64"}.get(dtype, "fp32")
    return OpCost(phase, path, kind, flops, traffic, name, limit, op_name)


class OpRecorder(TorchDispatchMode):
    """The kernels of whatever runs under it, as ``OpCost``s of one ``phase``, and the count of every
    dispatched op (views included). Used for the optimizer step and by ``archwise calibrate``, so
    that a calibrated kernel is named and sized exactly as the tracer names and sizes it."""

    def __init__(self, phase: str, path: str = "", scalars: bool = False, meta_only: bool = False) -> None:
        super().__init__()
        self.phase, self.path, self.scalars, self.meta_only = phase, path, scalars, meta_only
        self.costs: list[OpCost] = []
        self.dispatched = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        if self.scalars and func is aten._local_scalar_dense.default and args[0].is_meta:
            from ._kernels import scalar_stand_in

            self.dispatched += 1
            return scalar_stand_in(args[0])  # a meta tensor has no value to read back (Adafactor's norm)
        out = func(*args, **kwargs)
        self.dispatched += 1
        if self.meta_only and not any(t.is_meta for t in (*_tensors(args), *_tensors(out))):
            return out  # host-side bookkeeping (a CPU step counter, a profiler marker): no device kernel
        if not func.is_view and func.overloadpacket not in _NO_KERNEL:
            flops = count_flops(func, args, kwargs, out)
            self.costs.append(_cost(func, args, out, flops, self.phase, self.path, False))
        return out


def _onto_meta(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Move stray real tensors (plain attributes, ``torch.arange`` results) onto meta when an op
    mixes them with meta tensors; no data is copied."""
    flat, spec = tree_flatten((args, kwargs))
    has_meta = has_real = False
    for a in flat:
        if isinstance(a, torch.Tensor):
            if a.is_meta:
                has_meta = True
            else:
                has_real = True
    if not (has_meta and has_real):
        return args, kwargs
    flat = [a.to("meta") if isinstance(a, torch.Tensor) and not a.is_meta else a for a in flat]
    return tree_unflatten(flat, spec)
