"""The rungs, simplest first, as the seed's "start simple" lays them out:

    1. linear      logistic regression (classification) or linear regression, one nn.Linear
    2. mlp-128     one hidden layer of 128
    3. mlp-256x2   two hidden layers of 256
    4. the family ``archwise design`` picks for this data, sized by ``design`` (ResNet for images,
       LSTM/GRU or Transformer by sequence length, GCN for graphs; for tables its MLP when it
       differs from rungs 1–3)
    5. lightgbm    for tables, the gradient-boosting reference the seed's tree names

Rungs 1–3 see each sample flattened to a vector (graphs: each node's own features, no edges), so
rung 4 shows what the family's inductive bias adds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import ArchwiseError
from ..problem import Modality, ProblemSpec
from .prepare import Prepared

__all__ = ["Rung", "plan_rungs"]


@dataclass(frozen=True)
class Rung:
    name: str  # short and stable: linear, mlp-128, mlp-256x2, resnet, lstm, gcn, lightgbm, …
    label: str  # what it is, in words
    kind: str  # "torch" or "lightgbm"
    arch: str  # a registered builder: create_arch(arch, **kwargs)
    kwargs: dict[str, Any] = field(default_factory=dict)
    params: int = 0  # closed form; LightGBM: the most tree nodes it may grow (its trained count is reported)
    flatten: bool = True  # each sample flattened to a vector
    graph: bool = False  # the forward takes (x, edge_index)
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "kind": self.kind, "arch": self.arch,
                "hyperparameters": self.kwargs, "flatten": self.flatten, "graph": self.graph}


def plan_rungs(data: Prepared) -> tuple[list[Rung], list[str]]:
    """The rungs for ``data``, and notes on any rung left out (and why).

    Example:
        >>> from archwise.ladder.data import load_data
        >>> from archwise.ladder.prepare import prepare
        >>> rungs, notes = plan_rungs(prepare(load_data("digits")))
        >>> [r.name for r in rungs]
        ['linear', 'mlp-128', 'mlp-256x2', 'resnet']
    """
    from ..design.zoo import arch_params

    features = math.prod(data.X.shape[1:])
    out = data.outputs
    what = "logistic regression" if data.classification else "linear regression"
    rungs = [
        Rung("linear", f"{what} (one linear layer)", "torch", "linear",
             {"in_features": features, "num_outputs": out}, why="the seed's first rung: a linear baseline, always"),
        Rung("mlp-128", "MLP (1 hidden layer × 128)", "torch", "mlp",
             {"in_features": features, "hidden": 128, "depth": 1, "num_outputs": out}, why="a small MLP"),
        Rung("mlp-256x2", "MLP (2 hidden layers × 256)", "torch", "mlp",
             {"in_features": features, "hidden": 256, "depth": 2, "num_outputs": out}, why="a larger MLP"),
    ]
    rungs = [Rung(**{**r.__dict__, "params": arch_params(r.arch, **r.kwargs)}) for r in rungs]
    notes: list[str] = []
    family = _design_rung(data, rungs, notes)
    if family is not None:
        rungs.append(family)
    if data.modality == Modality.TABULAR:
        kw = {"in_features": features, "num_outputs": out, "task": data.task.value}
        rungs.append(Rung("lightgbm", "gradient boosting (LightGBM)", "lightgbm", "lightgbm", kw,
                          arch_params("lightgbm", **kw), flatten=True,
                          why="the seed's tree names gradient boosting for tabular data; a reference beside the "
                              "neural rungs"))
    return rungs, notes


def _spec(data: Prepared) -> ProblemSpec:
    shape = data.X.shape[1:]
    common: dict[str, Any] = {"outputs": data.outputs, "task": data.task, "samples": len(data.train)}
    if data.modality == Modality.GRAPH:
        assert data.edge_index is not None
        return ProblemSpec("graph", input=shape[-1], nodes=len(data.X), edges=int(data.edge_index.shape[1]), **common)
    if data.modality in (Modality.SEQUENCE, Modality.TIMESERIES):
        return ProblemSpec(data.modality, input=shape, seq_len=shape[0], **common)
    if data.modality == Modality.IMAGE:
        return ProblemSpec("image", input=shape, **common)
    return ProblemSpec("tabular", input=math.prod(shape), **common)


def _design_rung(data: Prepared, simpler: list[Rung], notes: list[str]) -> Rung | None:
    from ..design import design

    try:
        rec = design(_spec(data))
    except ArchwiseError as err:
        notes.append(f"no rung from archwise design: {err}")
        return None
    for r in simpler:
        if r.arch == rec.arch and all(r.kwargs.get(k) == v for k, v in rec.hyperparameters.items()):
            notes.append(f"archwise design picks {rec.architecture} for this data, the same model as rung "
                         f"'{r.name}'; it is not trained twice")
            return None
    flatten = data.modality == Modality.TABULAR
    name = {"linear": "design-linear", "mlp": "design-mlp"}.get(rec.arch, rec.arch)
    return Rung(name, f"{rec.architecture}, archwise design's pick", "torch", rec.arch, dict(rec.hyperparameters),
                rec.params, flatten=flatten, graph=data.graph,
                why=f"the family archwise design picks by the seed's tree ({rec.decision.architecture}), sized by "
                    f"design ({rec.binding_constraint} binds)")
