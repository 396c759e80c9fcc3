"""What the rules read: the model's profile, the problem spec, and facts derived from the op graph.

Facts are computed once per check, lazily, from ``ModelProfile.structure.graph`` (the forward's
op graph the profiler recorded); no rule runs the model.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..design.decide import EDGE_DEVICES, Decision, TreeThresholds, decide
from ..errors import ArchwiseError
from ..problem import Modality, ProblemSpec
from ..profile._trace import near_act_matmul
from ..profile.result import ModelProfile
from ..report.memory import fmt_int  # noqa: F401 (rules format counts with it)

__all__ = ["Context", "ConvLayer"]

NORM_FAMILIES = ("batch_norm", "layer_norm", "group_norm", "rms_norm", "instance_norm")
_PROBABILITY_OPS = {"aten._softmax": "softmax", "aten.softmax": "softmax", "aten._safe_softmax": "softmax",
                    "aten.sigmoid": "sigmoid", "aten.sigmoid_": "sigmoid"}
_SATURATING = {"aten.sigmoid", "aten.sigmoid_", "aten.tanh", "aten.tanh_"}
_PASS_THROUGH = ("aten.view", "aten._unsafe_view", "aten.reshape", "aten.clone", "aten.squeeze", "aten.unsqueeze",
                 "aten.t", "aten.transpose", "aten.permute", "aten.contiguous", "aten.detach", "aten.alias",
                 "aten.expand", "aten.select", "aten.slice", "aten._to_copy", "aten.flatten")


@dataclass(frozen=True)
class ConvLayer:
    """One call of a convolution, as the op graph saw it."""

    path: str
    in_channels: int
    out_channels: int
    kernel: tuple[int, ...]
    groups: int
    stride: tuple[int, ...]
    out_spatial: tuple[int, ...]  # H, W of its output
    idx: int  # node index in the graph

    @property
    def separable_ratio(self) -> float:
        """The cost of a depthwise-separable replacement (k×k per channel, then 1×1) over this
        convolution's, in multiply-adds: 1/C_out + 1/k²."""
        return 1 / max(self.out_channels, 1) + 1 / math.prod(self.kernel)

    @property
    def depthwise(self) -> bool:
        return self.groups > 1 and self.groups == self.in_channels

    @property
    def pointwise(self) -> bool:
        return all(k == 1 for k in self.kernel)

    @property
    def params(self) -> int:
        return self.out_channels * (self.in_channels // self.groups) * math.prod(self.kernel)


@dataclass
class Context:
    """A profile, the spec it is checked against, and the facts rules share."""

    profile: ModelProfile
    spec: ProblemSpec | None
    tree: TreeThresholds = field(default_factory=TreeThresholds)
    inputs_note: str | None = None  # how the modality or length was inferred, when it was
    baseline_score: float | None = None
    score: float | None = None
    higher_is_better: bool = True
    train_profile: ModelProfile | None = None  # at the training batch, with memory and the fit verdict
    latency_profile: ModelProfile | None = None  # with the latency prediction
    fired: set[str] = field(default_factory=set)  # codes that found something so far in this check

    # --- the problem -------------------------------------------------------------------------
    @property
    def modality(self) -> Modality | None:
        return self.spec.kind if self.spec is not None else None

    @cached_property
    def decision(self) -> Decision | None:
        """Where the seed's tree lands for the spec (with the length read from the model's input
        when the spec has none); None when the tree lacks what it needs."""
        if self.spec is None:
            return None
        spec = self.spec
        if spec.kind.sequential and spec.seq_len is None and self.seq_len is not None:
            spec = spec.with_(seq_len=self.seq_len)
        try:
            return decide(spec, self.tree)
        except ArchwiseError:
            return None

    @property
    def samples(self) -> int | None:
        return self.spec.samples if self.spec is not None else None

    @property
    def mobile(self) -> bool:
        """A mobile target or a tight latency budget (the seed's case for efficient architectures)."""
        if self.spec is None:
            return False
        budget = self.spec.latency_budget
        return self.spec.device in EDGE_DEVICES or (budget is not None and float(budget) <= self.tree.tight_latency_s)

    @cached_property
    def seq_len(self) -> int | None:
        """Steps per sample: the spec's, else dim 1 of the first input (batch-first) for sequential data."""
        if self.spec is not None and self.spec.seq_len is not None:
            return self.spec.seq_len
        if self.spec is None or not self.spec.kind.sequential:
            return None
        shapes = self.input_shapes
        return shapes[0][1] if shapes and len(shapes[0]) >= 2 else None

    # --- the graph ---------------------------------------------------------------------------
    @property
    def graph(self) -> tuple[Any, ...]:
        return self.profile.structure.graph

    @cached_property
    def input_shapes(self) -> list[tuple[int, ...]]:
        return [n.shape for n in self.graph if n.op == "input"]

    @cached_property
    def image_input(self) -> tuple[int, int, int] | None:
        """C, H, W of the first 4-d input."""
        for shape in self.input_shapes:
            if len(shape) == 4:
                return shape[1], shape[2], shape[3]
        return None

    @cached_property
    def types(self) -> dict[str, str]:
        return {row.path: row.type for row in self.profile.layers}

    @cached_property
    def families(self) -> set[str]:
        return set(self.profile.structure.families)

    @cached_property
    def convs(self) -> list[ConvLayer]:
        out = []
        for n in self.graph:
            if n.kind == "convolution" and n.in_width is not None:
                out.append(ConvLayer(n.module, n.in_width, n.width or 0, tuple(n.kernel), n.groups, tuple(n.stride),
                                     tuple(n.shape[2:]), n.idx))
        return out

    @cached_property
    def weighted(self) -> list[Any]:
        return [n for n in self.graph if n.weight]

    @cached_property
    def has_norm(self) -> bool:
        return bool(self.families & set(NORM_FAMILIES)) or any("Norm" in t for t in self.types.values())

    @cached_property
    def skip_kinds(self) -> dict[str, int]:
        return self.profile.structure.skip_counts()

    @cached_property
    def attention_spans(self) -> list[int]:
        """Keys each attention reads: the last dim of an attention softmax, or the key length of a
        fused attention op."""
        spans = []
        for n in self.graph:
            if n.op.startswith("aten._scaled_dot_product") or n.op in ("aten._flash_attention_forward",
                                                                          "aten._efficient_attention_forward"):
                if len(n.in_shapes) >= 2 and len(n.in_shapes[1]) >= 2:
                    spans.append(n.in_shapes[1][-2])
            elif n.flag == "softmax" and near_act_matmul(self.graph, n) and n.shape:
                spans.append(n.shape[-1])
        return spans

    @cached_property
    def family(self) -> str:
        """The model's family, in the decision tree's vocabulary (``archwise.design.FAMILIES``)."""
        f = self.families
        if "message_passing" in f:
            return "gnn"
        if "attention" in f:
            first = self.weighted[0] if self.weighted else None
            if self.image_input is not None and first is not None and first.kind == "convolution":
                return "vit"
            spans = self.attention_spans
            if spans and self.seq_len and max(spans) < self.seq_len:
                return "local_transformer"
            return "transformer"
        if "recurrent" in f:
            return "rnn"
        if "convolution" in f:
            return "efficient_cnn" if any(c.depthwise for c in self.convs) else "cnn"
        if self.profile.structure.depth <= 1:
            return "linear"
        return "mlp"

    @cached_property
    def output_nodes(self) -> list[Any]:
        return [self.graph[i] for i in self.profile.structure.outputs]

    def last_op(self, node: Any) -> Any:
        """The node itself, or the op it passes through unchanged (views, reshapes, copies)."""
        seen = 0
        while any(node.op.startswith(p) for p in _PASS_THROUGH) and len(node.preds) == 1 and seen < 8:
            node, seen = self.graph[node.preds[0]], seen + 1
        return node

    @cached_property
    def output_probabilities(self) -> list[tuple[str, str]]:
        """(module, "softmax" | "sigmoid") for each output made by a softmax or sigmoid."""
        found = []
        for out in self.output_nodes:
            node = self.last_op(out)
            if node.op in _PROBABILITY_OPS:
                found.append((node.module or "(model)", _PROBABILITY_OPS[node.op]))
        return found

    @cached_property
    def dominators(self) -> set[int]:
        """Weighted nodes that lie on every path from the inputs to the outputs (no branch bypasses them).

        Counts paths modulo a large prime from the inputs and to the outputs: a node is on every
        path when paths-through-it equals all paths. A collision is possible only with
        probability about 1/2**61 per node.
        """
        graph = self.graph
        if not graph:
            return set()
        prime = (1 << 61) - 1
        rng = random.Random(0)
        salt = rng.randrange(1, prime)  # scales counts so a structured collision is as unlikely as a random one
        outputs = set(self.profile.structure.outputs)
        succ = self.successors
        forward = [0] * len(graph)
        for n in graph:
            forward[n.idx] = (salt if n.op == "input" else 0)
            for p in set(n.preds):
                forward[n.idx] = (forward[n.idx] + forward[p]) % prime
        backward = [0] * len(graph)
        for n in reversed(graph):
            total = 1 if n.idx in outputs else 0
            for s in succ.get(n.idx, ()):
                total += backward[s]
            backward[n.idx] = total % prime
        all_paths = sum(forward[i] for i in outputs) % prime
        if all_paths == 0:
            return set()
        return {n.idx for n in graph if n.weight and forward[n.idx] * backward[n.idx] % prime == all_paths}

    @cached_property
    def module_edges(self) -> set[tuple[str, str]]:
        return set(self.profile.structure.module_edges)

    @cached_property
    def longest_nodes(self) -> list[Any]:
        """The weighted nodes of the longest input → output path, in order (an RNN node once)."""
        return [self.graph[i] for i in self.profile.structure.longest_nodes]

    @cached_property
    def successors(self) -> dict[int, list[int]]:
        """Each graph node's consumers, in execution order."""
        succ: dict[int, list[int]] = {}
        for n in self.graph:
            for p in dict.fromkeys(n.preds):
                succ.setdefault(p, []).append(n.idx)
        return succ

    def saturating_after(self, node: Any) -> bool:
        """Whether a weighted node's output goes through a sigmoid or tanh that is not a gate."""
        for s in self.successors.get(node.idx, ()):
            if self.graph[s].op in _SATURATING and not any(self.graph[c].flag == "mul"
                                                           for c in self.successors.get(s, ())):
                return True
        return False

    @cached_property
    def residual_fork_ops(self) -> list[str]:
        """For each residual skip, the type of the module that made the tensor the shortcut carries."""
        return [self.types.get(s.start, "input") if s.start != "input" else "input"
                for s in self.profile.structure.skip_connections if s.kind == "residual"]

    def hidden_widths(self) -> list[int]:
        """Widths of the longest path's weighted layers except the last (the output layer)."""
        widths = [w for n in self.longest_nodes for w in [n.width] * n.weight if w is not None]
        return widths[:-1]
