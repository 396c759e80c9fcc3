"""Depth, widths and skip connections, read from the graph of dispatched ops (not module names).

* **Depth** is the number of weighted layers (convolution, linear, matrix product with a
  parameter, recurrent layer) on the longest path from a model input to an output.
* A **skip connection** is a join (``add`` or ``cat``) of activations that share an ancestor, the
  fork, where one branch from the fork passes through weighted layers and another does not:

  - ``residual``: an ``add`` with an identity branch, or with a projection branch of one
    weighted layer beside a branch of two or more (ResNet's downsampling shortcut);
  - ``dense``: a ``cat`` with an identity branch (DenseNet, U-Net);
  - ``gated``: an ``add`` whose only weight-free branch passes through a multiplication by a
    value computed from the fork through a weighted layer (a learned gate, as in highway
    networks: ``T(x)·H(x) + (1 − T(x))·x``).

  ``spans`` is the number of weighted layers on the longest branch from fork to join.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

from ._trace import Node

__all__ = ["SkipConnection", "WeightedLayer", "Structure", "analyze"]


@dataclass(frozen=True)
class SkipConnection:
    """A connection that carries activations past weighted layers."""

    kind: str  # "residual" | "dense" | "gated"
    start: str  # module that produced the fork tensor ("input" for a model input)
    end: str  # module that ran the join
    spans: int  # weighted layers on the longest branch from fork to join
    projection: bool = False  # the shortcut itself has one weighted layer (a 1×1 conv or linear)


@dataclass(frozen=True)
class WeightedLayer:
    """One call of a weighted layer, in execution order."""

    path: str
    kind: str  # "convolution" | "linear" | "recurrent"
    width: int | None
    layers: int  # weighted layers it stands for (an RNN's num_layers)
    on_longest_path: bool


@dataclass(frozen=True)
class Structure:
    """What the op graph says about the architecture."""

    depth: int  # weighted layers on the longest input → output path
    longest_path: tuple[str, ...]  # module path of each weighted layer on that path
    weighted_layers: tuple[WeightedLayer, ...]  # every weighted layer call, in execution order
    skip_connections: tuple[SkipConnection, ...]
    families: tuple[str, ...]  # layer families present, in order of first use
    # The forward's op graph, for rules that read patterns (not part of the JSON form):
    graph: tuple[Node, ...] = field(default=(), compare=False, repr=False)
    outputs: tuple[int, ...] = field(default=(), compare=False, repr=False)  # graph nodes that are model outputs
    longest_nodes: tuple[int, ...] = field(default=(), compare=False, repr=False)  # weighted nodes on the longest path
    module_edges: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)  # leaf → leaf dataflow

    @property
    def widths(self) -> list[int]:
        """Width of each weighted layer (an RNN of n layers contributes n entries)."""
        return [w.width for w in self.weighted_layers for _ in range(w.layers) if w.width is not None]

    def skip_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for skip in self.skip_connections:
            counts[skip.kind] = counts.get(skip.kind, 0) + 1
        return counts


def analyze(nodes: Sequence[Node], outputs: Sequence[int], families: Sequence[str] = (),
            module_edges: Sequence[tuple[str, str]] = ()) -> Structure:
    """Depth, longest path, weighted layers and skip connections of a recorded forward graph."""
    depth, via = _longest_paths(nodes)
    ends = list(outputs) or range(len(nodes))
    end = max(ends, key=lambda i: depth[i], default=None)
    on_path: list[int] = []
    while end is not None:
        if nodes[end].weight:
            on_path.append(end)
        end = via[end]
    on_path.reverse()
    on_path_set = set(on_path)
    weighted = tuple(
        WeightedLayer(n.module, n.kind or "linear", n.width, n.weight, n.idx in on_path_set) for n in nodes if n.weight
    )
    return Structure(
        depth=max((depth[i] for i in ends), default=0),
        longest_path=tuple(nodes[i].module for i in on_path for _ in range(nodes[i].weight)),
        weighted_layers=weighted,
        skip_connections=tuple(s for n in nodes if (s := _classify_join(nodes, n)) is not None),
        families=tuple(families),
        graph=tuple(nodes),
        outputs=tuple(outputs),
        longest_nodes=tuple(on_path),
        module_edges=tuple(module_edges),
    )


def _longest_paths(nodes: Sequence[Node]) -> tuple[list[int], list[int | None]]:
    """Weighted layers on the longest path ending at each node, and the predecessor it came by."""
    depth = [0] * len(nodes)
    via: list[int | None] = [None] * len(nodes)
    for n in nodes:  # execution order is a topological order
        best = None
        for p in n.preds:
            if best is None or depth[p] > depth[best]:
                best = p
        depth[n.idx] = (depth[best] if best is not None else 0) + n.weight
        via[n.idx] = best
    return depth, via


def _weight_free_ancestors(nodes: Sequence[Node], end: int) -> set[int]:
    """Nodes whose output reaches ``end`` through weight-free ops only (``end`` included).

    Expands back through weight-free nodes; a weighted node is included but not expanded, since a
    path through it is no longer weight-free.
    """
    found, stack = {end}, [end]
    while stack:
        idx = stack.pop()
        if nodes[idx].weight == 0:
            for p in nodes[idx].preds:
                if p not in found:
                    found.add(p)
                    stack.append(p)
    return found


def _latest_weighted_ancestor(nodes: Sequence[Node], end: int, candidates: set[int]) -> int | None:
    """The latest candidate with a path to ``end`` that passes through at least one weighted layer.

    Walks back from ``end`` always expanding the latest node first, so when a node is popped every
    later node that reaches it has been seen and its flag is final. Stops below the earliest candidate.
    """
    floor = min(candidates)
    through_weight = {end: False}
    heap = [-end]
    while heap:
        idx = -heapq.heappop(heap)
        if idx < floor:
            break
        if idx in candidates and through_weight[idx] and idx != end:
            return idx
        carries = through_weight[idx] or nodes[idx].weight > 0
        for p in nodes[idx].preds:
            if p not in through_weight:
                through_weight[p] = carries
                heapq.heappush(heap, -p)
            elif carries:
                through_weight[p] = True
    return None


def _fork(nodes: Sequence[Node], starts: Sequence[int]) -> int | None:
    """The latest node that every start descends from (the latest common ancestor), or None.

    Same latest-first walk, from all starts at once: the first node reached from all is the
    latest common ancestor. Only the nodes between fork and join are visited.
    """
    full = (1 << len(starts)) - 1
    marks: dict[int, int] = {}
    heap: list[int] = []
    for bit, s in enumerate(starts):
        if s not in marks:
            heapq.heappush(heap, -s)
        marks[s] = marks.get(s, 0) | (1 << bit)
    while heap:
        idx = -heapq.heappop(heap)
        if marks[idx] == full:
            return idx
        for p in nodes[idx].preds:
            if p not in marks:
                heapq.heappush(heap, -p)
                marks[p] = 0
            marks[p] |= marks[idx]
    return None


@dataclass
class _Branch:
    min_w: int  # fewest weighted layers on a path fork → branch end
    max_w: int  # most weighted layers on a path fork → branch end
    identity: bool  # a path with no weighted layer and no gate exists
    gated: bool  # a weight-free path exists, but only through a gate


def _branch(nodes: Sequence[Node], fork: int, end: int) -> _Branch:
    """Path statistics from ``fork`` to ``end`` over the nodes between them."""
    between = {end}
    stack = [end]
    while stack:
        for p in nodes[stack.pop()].preds:
            if p >= fork and p not in between:
                between.add(p)
                stack.append(p)
    stats: dict[int, _Branch] = {fork: _Branch(0, 0, True, False)}
    for idx in sorted(between):
        if idx == fork:
            continue
        node = nodes[idx]
        preds = [stats[p] for p in node.preds if p in stats]
        if not preds:
            continue  # an ancestor of the end that does not descend from the fork
        free = [b for b in preds if b.identity or b.gated]
        weighted_operand = any(b.min_w >= 1 for b in preds)
        is_gate = node.flag == "mul" and bool(free) and weighted_operand and node.weight == 0
        stats[idx] = _Branch(
            min_w=min(b.min_w for b in preds) + node.weight,
            max_w=max(b.max_w for b in preds) + node.weight,
            identity=node.weight == 0 and not is_gate and any(b.identity for b in preds),
            gated=node.weight == 0 and (is_gate or any(b.gated for b in preds)),
        )
    return stats.get(end, _Branch(0, 0, False, False))


def _shortcut_fork(nodes: Sequence[Node], preds: Sequence[int]) -> int | None:
    """The fork of a shortcut: the latest node that reaches one join input without weights and
    another through weights (``x`` in ``x + f(x)``, and in a highway's ``T·H + (1 − T)·x``)."""
    for i, s in enumerate(preds):
        free = _weight_free_ancestors(nodes, s)
        for j, other in enumerate(preds):
            if j != i and (fork := _latest_weighted_ancestor(nodes, other, free)) is not None:
                return fork
    return None


def _classify_join(nodes: Sequence[Node], node: Node) -> SkipConnection | None:
    if node.flag not in ("add", "cat") or len(node.preds) < 2:
        return None
    if node.flag == "add" and len(set(node.in_shapes)) != 1:
        return None  # broadcasting adds (biases, masks, position tables) are not joins of branches
    fork = _shortcut_fork(nodes, node.preds)
    projection = fork is None
    if projection:
        if node.flag != "add" or len(node.preds) != 2 or (fork := _fork(nodes, node.preds)) is None:
            return None
    branches = [_branch(nodes, fork, p) for p in node.preds]
    spans = max(b.max_w for b in branches)
    start = "input" if nodes[fork].op == "input" else nodes[fork].module
    if projection:
        short, long = sorted(branches, key=lambda b: b.max_w)
        if short.max_w == 1 and short.min_w == 1 and long.max_w >= 2:
            return SkipConnection("residual", start, node.module, spans, projection=True)
        return None

    def others_weighted(i: int) -> bool:
        return any(b.max_w >= 1 for j, b in enumerate(branches) if j != i)

    if any(b.identity and others_weighted(i) for i, b in enumerate(branches)):
        return SkipConnection("residual" if node.flag == "add" else "dense", start, node.module, spans)
    if node.flag == "add" and any(b.gated and others_weighted(i) for i, b in enumerate(branches)):
        return SkipConnection("gated", start, node.module, spans)
    return None
