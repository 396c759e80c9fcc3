"""``archwise.design``: from a problem to a sized, explained, buildable model.

    decide (the seed's tree) → candidates (the family's grid) → size (every budget at once)
    → Recommendation (build, emit, explain)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ..errors import ArchwiseError
from ..problem import Modality, ProblemSpec, Task
from .decide import Decision, TreeThresholds, decide
from .explain import Reason, capacity_basis, explain, lost_because, relax
from .size import Band, Constraint, size
from .space import Candidate, candidates, check_input, shape_kwargs, spec_inputs
from .zoo import arch_params, create_arch

__all__ = ["design", "Recommendation", "DesignSettings", "Alternative", "Reference", "SCHEMA"]

SCHEMA = "archwise.design/1"


@dataclass(frozen=True)
class DesignSettings:
    """Where the tree branches and how big a model the data supports. Every field can be overridden.

    The capacity bands are parameters per training sample (per token for sequences, per labelled
    node for graphs); sizing aims at the geometric middle of the band. The seed's rule of thumb is
    0.01–0.1 parameters per sample; for tabular data archwise keeps it (target 0.1), for images,
    sequences and graphs it follows what trains well in practice (see ``archwise.design.explain``).
    """

    tree: TreeThresholds = field(default_factory=TreeThresholds)
    image_band: tuple[float, float] = (1.0, 30.0)  # per image: CIFAR-10's ResNet-20 is 5.4, ImageNet's ResNet-50 20
    tabular_band: tuple[float, float] = (0.01, 1.0)  # per row: the seed's 0.01–0.1, up to AW401's warning at 1
    token_band: tuple[float, float] = (0.01, 1.0)  # per token (samples × steps): Chinchilla's optimum is 0.05
    graph_band: tuple[float, float] = (10.0, 1000.0)  # per labelled node: Kipf & Welling's GCN on Cora is 164
    max_per_sample: float = 1000.0  # never past AW401's warning limit for non-tabular data
    batch_size: int = 64  # the training batch when the spec gives none


@dataclass(frozen=True)
class Alternative:
    """A runner-up: a candidate sizing ranked near the chosen one, and why it lost."""

    architecture: str
    arch: str
    hyperparameters: dict[str, Any]
    params: int
    why: str
    constraints: tuple[Constraint, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"architecture": self.architecture, "arch": self.arch, "hyperparameters": self.hyperparameters,
                "params": self.params, "why": self.why, "constraints": [c.to_dict() for c in self.constraints]}


@dataclass(frozen=True)
class Reference:
    """A model to train beside the recommendation (the seed: benchmark against baselines)."""

    architecture: str
    arch: str
    hyperparameters: dict[str, Any]
    params: int  # closed form (boosting: the most tree nodes it can grow)
    why: str

    def build(self) -> Any:
        return create_arch(self.arch, **self.hyperparameters)

    def to_dict(self) -> dict[str, Any]:
        return {"architecture": self.architecture, "arch": self.arch, "hyperparameters": self.hyperparameters,
                "params": self.params, "why": self.why}


@dataclass(frozen=True)
class Recommendation:
    """What ``design`` recommends: the model, its numbers against every budget, and why."""

    spec: ProblemSpec
    decision: Decision
    family: str
    architecture: str  # "ResNet-20 (basic blocks, 3 stages, width 16–64)"
    arch: str  # the registered builder
    hyperparameters: dict[str, Any]  # the builder's arguments: create_arch(arch, **hyperparameters)
    params: int
    macs: int  # one forward at batch 1 (graphs: the whole graph)
    forward_s: float | None  # predicted at batch 1 on the device
    training_bytes: int | None
    constraints: tuple[Constraint, ...]
    binding_constraint: str
    fits: bool  # False: no candidate meets every budget; this is the closest
    alternatives: tuple[Alternative, ...]
    references: tuple[Reference, ...]
    rationale: tuple[Reason, ...]
    relax: tuple[str, ...]  # with fits=False: which budget to relax, by how much
    batch_size: int
    evaluated: int
    considered: int
    notes: tuple[str, ...] = ()

    def build(self, device: str | torch.device | None = None) -> nn.Module:
        """The recommended model with fresh weights (on ``device``, default the current one).

        Example:
            >>> rec = design(ProblemSpec("tabular", input=20, samples=500, outputs=3))
            >>> sum(p.numel() for p in rec.build().parameters()) == rec.params
            True
        """
        if device is None:
            return create_arch(self.arch, **self.hyperparameters)
        with torch.device(device):
            return create_arch(self.arch, **self.hyperparameters)

    def inputs(self, batch: int = 1) -> list[Any]:
        """The inputs one forward takes, as ``archwise.profile`` and ``archwise.check`` read them."""
        return spec_inputs(self.spec, batch)

    def emit(self) -> str:
        """The model as a standalone Python file (torch only; torch_geometric for graphs)."""
        from .emit import emit

        return emit(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "spec": self.spec.to_dict(), "family": self.family, "architecture": self.architecture,
            "arch": self.arch, "hyperparameters": self.hyperparameters, "params": self.params, "macs": self.macs,
            "predicted_latency_s": self.forward_s, "training_bytes": self.training_bytes,
            "batch_size": self.batch_size, "fits": self.fits,
            "decision": {"family": self.decision.family, "architecture": self.decision.architecture,
                         "path": list(self.decision.path), "principle": self.decision.principle},
            "rationale": [r.to_dict() for r in self.rationale],
            "constraints": [c.to_dict() for c in self.constraints],
            "binding_constraint": self.binding_constraint,
            "alternatives": [a.to_dict() for a in self.alternatives],
            "references": [r.to_dict() for r in self.references],
            "relax": list(self.relax), "candidates_considered": self.considered,
            "candidates_evaluated": self.evaluated, "notes": list(self.notes),
        }


def _band(spec: ProblemSpec, decision: Decision, s: DesignSettings) -> Band:
    samples = spec.samples
    if samples is None:
        if spec.kind == Modality.GRAPH and spec.nodes is not None:
            samples = spec.nodes
        else:
            raise ArchwiseError(f"design needs the number of training samples to size the model to the data: give "
                                f"--samples N{' (labelled nodes)' if spec.kind == Modality.GRAPH else ''}")
    m = spec.kind
    if m == Modality.IMAGE:
        low, high = (samples * x for x in s.image_band)
    elif m == Modality.GRAPH:
        low, high = (samples * x for x in s.graph_band)
    elif m.sequential:
        tokens = samples * (spec.seq_len or 1)
        low, high = (tokens * x for x in s.token_band)
        high = min(high, samples * s.max_per_sample)
        low = min(low, high / 10)
    else:
        low, high = (samples * x for x in s.tabular_band)
    return Band(low, high, (low * high) ** 0.5, enforced=decision.family != "linear")


def design(spec: ProblemSpec, settings: DesignSettings | None = None) -> Recommendation:
    """Decide the family by the seed's tree, size it to every budget, and explain the choice.

    Args:
        spec: the problem: modality, one sample's shape (``input``), samples, outputs, and the
            budgets (``device`` or ``memory``, ``latency_budget``, ``batch_size``, ``optimizer``,
            ``precision``).
        settings: the tree's thresholds and the capacity bands (default: ``DesignSettings()``).

    Returns:
        A :class:`Recommendation`; ``fits`` is False when no candidate meets every budget (then
        it holds the closest one and ``relax`` says what to give up).

    Raises:
        ArchwiseError: a spec the tree cannot place (a sequence without a length, no sample shape,
            no sample count, a graph without its size).

    Example:
        >>> rec = design(ProblemSpec("tabular", input=20, samples=5_000, outputs=2))
        >>> rec.family, rec.arch, rec.binding_constraint
        ('mlp', 'mlp', 'capacity')
    """
    s = settings or DesignSettings()
    check_input(spec)
    decision = decide(spec, s.tree)
    band = _band(spec, decision, s)
    batch = spec.batch_size or s.batch_size
    notes = []
    if spec.batch_size is None and (spec.device is not None or spec.memory is not None):
        notes.append(f"training memory is simulated at batch {batch} (the default); pass --batch-size to set it")
    if spec.kind == Modality.GRAPH:
        notes.append("graphs train full-batch: memory and latency are for the whole graph; --batch-size is not used")
    grid = candidates(decision, spec, s.tree.mlp_below)
    sizing = size(grid, spec, band, batch)
    chosen = sizing.chosen
    alternatives = tuple(Alternative(e.candidate.label, e.candidate.arch, e.candidate.kwargs, e.candidate.params,
                                     lost_because(e, chosen, spec, band), e.constraints) for e in sizing.runner_ups)
    references = _references(spec, decision, chosen.candidate)
    rationale = explain(spec, decision, sizing, band, references, capacity_basis(spec, s))
    return Recommendation(
        spec=spec, decision=decision, family=decision.family, architecture=chosen.candidate.label,
        arch=chosen.candidate.arch, hyperparameters=chosen.candidate.kwargs, params=chosen.candidate.params,
        macs=chosen.macs, forward_s=chosen.forward_s, training_bytes=chosen.training_bytes,
        constraints=chosen.constraints, binding_constraint=sizing.binding, fits=sizing.fits,
        alternatives=alternatives, references=references, rationale=rationale,
        relax=relax(sizing) if not sizing.fits else (), batch_size=batch, evaluated=sizing.evaluated,
        considered=sizing.considered, notes=tuple(notes),
    )


def _references(spec: ProblemSpec, decision: Decision, chosen: Candidate) -> tuple[Reference, ...]:
    """What the seed says to train beside the pick."""
    out: list[Reference] = []
    shape = shape_kwargs(spec)
    outputs = shape["num_outputs"]
    if spec.kind == Modality.TABULAR:
        features = shape["in_features"]
        task = Task(spec.task).value
        if task == "classification":
            kw = {"in_features": features, "num_outputs": outputs, "task": "classification"}
            out.append(Reference("logistic regression (scikit-learn)", "logistic_regression", kw,
                                 arch_params("logistic_regression", **kw), "the seed's first rung: linear baseline"))
        else:
            kw = {"in_features": features, "num_outputs": outputs}
            out.append(Reference("ridge regression (scikit-learn)", "ridge", kw, arch_params("ridge", **kw),
                                 "the seed's first rung: linear baseline"))
        kw = {"in_features": features, "num_outputs": outputs, "task": task}
        out.append(Reference("gradient boosting (LightGBM)", "lightgbm", kw, arch_params("lightgbm", **kw),
                             "the seed's tree names gradient boosting for tabular data; trees often beat neural "
                             "nets on tabular data (Grinsztajn et al., NeurIPS 2022)"))
    elif spec.kind == Modality.GRAPH:
        hidden = chosen.size.get("hidden", 64)
        kw = {"in_features": shape["in_features"], "hidden": hidden, "depth": 1, "num_outputs": outputs}
        out.append(Reference(f"MLP on node features alone (1 hidden layer × {hidden})", "mlp", kw,
                             arch_params("mlp", **kw), "the seed: test an MLP baseline first; keep the GNN only if "
                                                       "the graph structure helps"))
        for arch in ("sage", "gat"):
            if arch == chosen.arch:
                continue
            kw = {**chosen.kwargs}
            if arch == "gat" and kw.get("hidden", 0) % 4:
                continue
            out.append(Reference(f"{'GraphSAGE' if arch == 'sage' else 'GAT'} at the same size", arch, kw,
                                 arch_params(arch, **kw), "the seed's tree names GCN, GraphSAGE and GAT"))
    elif chosen.arch == "lstm":
        kw = {**chosen.kwargs}
        out.append(Reference(chosen.label.replace("LSTM", "GRU"), "gru", kw, arch_params("gru", **kw),
                             "the seed's tree names LSTM/GRU: a GRU has 3/4 of the parameters, often as accurate"))
    return tuple(out)
