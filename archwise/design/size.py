"""Sizing: choose, among a family's candidates, the one that meets every budget at once.

The budgets are the capacity band for the data size, the training memory on the device at the
batch size (simulated, as ``archwise profile --train --device``) and the inference latency at
batch 1 (predicted, as ``archwise profile --device``). Candidates are ranked by how close their
parameter count is to the band's target; they are evaluated in that order, so only the few that
compete are ever simulated. The first that meets every budget is chosen; the constraint that
rejected the better-ranked ones is the binding one.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import torch

from ..problem import ProblemSpec
from ..profile.api import profile
from ..profile.fit import fit
from .space import Candidate, spec_inputs
from .zoo import create_arch

__all__ = ["Constraint", "Evaluated", "Sizing", "Band", "size", "evaluate", "rank_key"]


@dataclass(frozen=True)
class Band:
    """The capacity band in parameters, for this problem."""

    low: float
    high: float
    target: float  # the geometric middle of the band: where sizing aims
    enforced: bool = True  # False for a linear model: the seed's first step, nothing simpler to fall back to

    def contains(self, params: int) -> bool:
        return not self.enforced or self.low <= params <= self.high


@dataclass(frozen=True)
class Constraint:
    """One budget and where a candidate stands against it."""

    name: str  # "capacity", "training_memory", "latency"
    limit: Any  # capacity: [low, high] parameters; memory: usable bytes; latency: seconds
    value: float  # parameters, bytes or seconds
    ok: bool
    unit: str  # "params", "bytes", "s"

    def excess(self) -> float:
        """How far past the limit, as a ratio ≥ 1 (1: within it)."""
        if self.ok:
            return 1.0
        if self.name == "capacity":
            low, high = self.limit
            return max(low / max(self.value, 1), self.value / high)
        return self.value / self.limit

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "limit": self.limit, "value": self.value, "ok": self.ok, "unit": self.unit}


@dataclass(frozen=True)
class Evaluated:
    candidate: Candidate
    constraints: tuple[Constraint, ...]
    macs: int  # multiply-accumulates of one forward at batch 1 (graphs: the whole graph)
    forward_s: float | None  # predicted latency at batch 1 on the device (None: no device to predict for)
    device: str | None

    @property
    def training_bytes(self) -> int | None:
        """The simulated training step's memory (None: no device or memory to fit in)."""
        memory = self.get("training_memory")
        return None if memory is None else int(memory.value)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.constraints)

    def failed(self) -> list[Constraint]:
        return [c for c in self.constraints if not c.ok]

    def get(self, name: str) -> Constraint | None:
        return next((c for c in self.constraints if c.name == name), None)


@dataclass(frozen=True)
class Sizing:
    chosen: Evaluated
    fits: bool  # whether the chosen candidate meets every budget
    binding: str  # the constraint that set the size
    runner_ups: tuple[Evaluated, ...]
    evaluated: int  # candidates simulated
    considered: int  # candidates ranked
    band: Band
    batch_size: int


def _build(candidate: Candidate) -> torch.nn.Module:
    with torch.device("meta"):
        return create_arch(candidate.arch, **candidate.kwargs)


def evaluate(candidate: Candidate, spec: ProblemSpec, band: Band, batch: int) -> Evaluated:
    """Simulate and predict one candidate against every budget the spec sets."""
    model = _build(candidate)
    constraints = [Constraint("capacity", [band.low, band.high], candidate.params, band.contains(candidate.params),
                              "params")]
    lat_device = spec.device or ("cpu" if spec.latency_budget is not None else None)
    base = profile(model, spec_inputs(spec, 1), backward=False, device=lat_device, precision=spec.precision,
                   search_batch=False, _memory=False,
                   _rebuild_on_cpu=lambda: create_arch(candidate.arch, **candidate.kwargs))
    if spec.device is not None or spec.memory is not None:
        report = fit(model, spec_inputs(spec, batch), device=spec.device, memory=spec.memory, train=True,
                     optimizer=spec.optimizer, precision=spec.precision, search_batch=False, remedies=False)
        constraints.append(Constraint("training_memory", report.usable_bytes, report.required_bytes, report.fits,
                                      "bytes"))
    forward = base.latency.forward_s if base.latency is not None else None
    if spec.latency_budget is not None and forward is not None:
        budget = float(spec.latency_budget)
        constraints.append(Constraint("latency", budget, forward, forward <= budget, "s"))
    return Evaluated(candidate, tuple(constraints), base.macs_forward, forward,
                     base.latency.device if base.latency else None)


_STEP = 0.15  # log-units: e^0.15 ≈ 1.16
_MAX_EVALUATED = 6  # candidates simulated in rank order before sizing concludes that none near the target fits
_SMALLEST = 2  # then the smallest ones are simulated too


def _rank(candidates: list[Candidate], band: Band) -> list[Candidate]:
    """In-band before out-of-band; then closest to the band's target in log space, counted in steps of
    ``_STEP`` (candidates within ~16 % of each other are as close); then the family's standard layout
    first; then fewer parameters."""
    return sorted(candidates, key=lambda c: rank_key(c, band))


def rank_key(c: Candidate, band: Band) -> tuple[int, int, int, int]:
    """(out of band, distance step, layout prior, params): smaller ranks first."""
    distance = abs(math.log(max(c.params, 1) / band.target))
    return (0 if band.contains(c.params) else 1, int(distance / _STEP), c.prior, c.params)


def size(candidates: list[Candidate], spec: ProblemSpec, band: Band, batch: int) -> Sizing:
    """Choose the best-ranked candidate that meets every budget, with two runner-ups.

    At most ``_MAX_EVALUATED`` candidates are simulated in rank order; when none of them meets
    every budget, the ``_SMALLEST`` smallest are simulated too, and the closest of all simulated
    (the smallest worst excess over its limits) is returned with ``fits=False``.
    """
    ranked = _rank(candidates, band)
    done: list[Evaluated] = []
    chosen = None
    for c in ranked:
        if chosen is None and len(done) >= _MAX_EVALUATED:
            break
        e = evaluate(c, spec, band, batch)
        done.append(e)
        if chosen is None and e.ok:
            chosen = e
        if chosen is not None and len(done) >= 3:
            break
    if chosen is None:
        # Nothing near the target fits: the smallest candidates are the likeliest to meet memory and
        # latency, so they are tried too before the closest one is named.
        seen = {id(e.candidate) for e in done}
        for c in sorted(ranked, key=lambda c: c.params)[:_SMALLEST]:
            if id(c) not in seen:
                e = evaluate(c, spec, band, batch)
                done.append(e)
                if e.ok:
                    return Sizing(e, True, done[0].failed()[0].name, tuple(x for x in done if x is not e)[:2],
                                  len(done), len(ranked), band, batch)
    if chosen is None:
        chosen = min(done, key=lambda e: (max(x.excess() for x in e.constraints), e.candidate.params))
        # What kept the candidates out: a budget (memory, latency) that rejected most of them; the
        # capacity band only when no budget rejected any.
        budgets = Counter(x.name for e in done for x in e.failed() if x.name != "capacity")
        binding = budgets.most_common(1)[0][0] if budgets else "capacity"
        others = [e for e in done if e is not chosen]
        return Sizing(chosen, False, binding, tuple(others[:2]), len(done), len(ranked), band, batch)
    better = done[:done.index(chosen)]
    if better:  # the better-ranked candidates lost to a budget: the one that rejected the first of them binds
        binding = better[0].failed()[0].name
    else:
        binding = "capacity"
    others = [e for e in done if e is not chosen][:2]
    return Sizing(chosen, True, binding, tuple(others), len(done), len(ranked), band, batch)
