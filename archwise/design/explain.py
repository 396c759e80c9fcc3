"""The rationale: each decision with the seed principle (by section name) and the numbers behind it.

Where research disagrees with the seed, the reason says so and cites it:

- capacity: the seed's 0.01–0.1 parameters per sample would give CIFAR-10 (50,000 images) at
  most 5,000 parameters; the seed itself calls ResNet-50 on ImageNet (200× over) fine, and
  over-parameterised networks generalise (Zhang et al., ICLR 2017; Nakkiran et al., ICLR 2020).
  For sequences, compute-optimal language models use about 20 tokens per parameter (Hoffmann et
  al., 2022, "Chinchilla").
- ViT: the seed says "very large datasets"; the ViT paper (Dosovitskiy et al., ICLR 2021) shows
  ViT overtaking ResNets from ImageNet-21k (14M images) up.
- tabular: tree ensembles still beat deep nets on medium-sized tabular data (Grinsztajn et al.,
  NeurIPS 2022), so a gradient-boosting reference is always listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..problem import Modality, ProblemSpec
from ..report.memory import fmt_bytes, fmt_int, fmt_time
from .decide import Decision
from .size import Band, Constraint, Evaluated, Sizing, rank_key

if TYPE_CHECKING:
    from .recommend import DesignSettings, Reference

__all__ = ["Reason", "explain", "lost_because", "relax", "capacity_basis", "describe_constraint"]

INDUCTIVE = "Core Principle: Inductive Biases"
TREE = "Decision Tree: Architecture Selection"
CAPACITY = "Principle: Match Capacity to Data Size"
DEPTH = "Principle: Balance Depth and Width"
SKIP = "Principle: Deep Networks Need Skip Connections"
COMPUTE = "Principle: Design for Compute Constraints"
SIMPLE = "Principle: Start Simple, Add Complexity Only When Needed"

_BIAS = {
    Modality.IMAGE: "images are grids: a CNN assumes spatial locality and translation invariance and shares its "
                    "filters across positions",
    Modality.TABULAR: "tabular features have no order or neighbourhood to exploit: no spatial or sequential bias, "
                      "so the simplest model that fits comes first",
    Modality.GRAPH: "graph data is relational: message passing along edges is permutation-invariant over neighbours",
}
_SEQ = "sequences have order: recurrence carries state step by step, attention links distant steps directly"


_STANDARD = {  # what "standard layout" means per builder, for the runner-ups' reasons
    "resnet": "He et al.'s: stages ending near an 8×8 map, at least 16 channels and 14 layers",
    "mobilenetv2": "Sandler et al.'s: full depth and the 1,280-channel head",
    "vit": "Dosovitskiy et al.'s: patch 16 at 224 px, patch 4 for 32 px",
}


@dataclass(frozen=True)
class Reason:
    principle: str  # a section of the seed, by name
    because: str  # the decision and the measured numbers behind it

    def to_dict(self) -> dict[str, str]:
        return {"principle": self.principle, "because": self.because}


def capacity_basis(spec: ProblemSpec, s: DesignSettings) -> str:
    """Where the capacity band comes from, for this modality, with its citation."""
    m = spec.kind
    if m == Modality.IMAGE:
        lo, hi = s.image_band
        return (f"{lo:g}–{hi:g} parameters per image: the seed's 0.01–0.1 would cap CIFAR-10 at 5,000 parameters, "
                "yet its own ResNet-50 on ImageNet is 200× over and works; over-parameterised CNNs generalise "
                "(Zhang et al. 2017; Nakkiran et al. 2020), and ResNet-20 on CIFAR-10 is 5.4 per image")
    if m == Modality.GRAPH:
        lo, hi = s.graph_band
        return (f"{lo:g}–{hi:g} parameters per labelled node: semi-supervised GNNs learn from few labels and many "
                "unlabelled neighbours (Kipf & Welling's GCN on Cora: 23k parameters for 140 labels, 164 each)")
    if m.sequential:
        lo, hi = s.token_band
        return (f"{lo:g}–{hi:g} parameters per training token (samples × steps), at most {s.max_per_sample:g} per "
                "sample: compute-optimal sequence models see about 20 tokens per parameter (Hoffmann et al. 2022), "
                "0.05 per token")
    lo, hi = s.tabular_band
    return f"{lo:g}–{hi:g} parameters per sample: the seed's rule of thumb 0.01–0.1, up to AW401's warning at {hi:g}"


def _per(spec: ProblemSpec) -> tuple[str, int]:
    if spec.kind.sequential:
        return "token", (spec.samples or 1) * (spec.seq_len or 1)
    if spec.kind == Modality.GRAPH:
        return "labelled node", spec.samples or spec.nodes or 1
    return "sample", spec.samples or 1


def describe_constraint(c: Constraint, spec: ProblemSpec) -> tuple[str, str, str]:
    """(name, limit, value) as people read them."""
    if c.name == "capacity":
        word, n = _per(spec)
        low, high = c.limit
        return ("capacity", f"{fmt_int(low)}–{fmt_int(high)} params",
                f"{fmt_int(c.value)} ({c.value / n:.3g}/{word})")
    if c.name == "training_memory":
        return "training memory", f"{fmt_bytes(c.limit)} usable", fmt_bytes(c.value)
    return "latency (batch 1)", fmt_time(c.limit), fmt_time(c.value)


def _failure(c: Constraint, spec: ProblemSpec) -> str:
    name, limit, value = describe_constraint(c, spec)
    if c.name == "capacity":
        low, high = c.limit
        side = "over" if c.value > high else "under"
        return f"{name} {value} is {side} the band {limit}"
    return f"{name} {value} > {limit}"


def lost_because(e: Evaluated, chosen: Evaluated, spec: ProblemSpec, band: Band) -> str:
    """Why a runner-up was not chosen: a budget it misses, or a worse fit to the capacity target."""
    failed = e.failed()
    if failed:
        return "; ".join(_failure(c, spec) for c in failed)
    word, n = _per(spec)
    mine, theirs = rank_key(e.candidate, band), rank_key(chosen.candidate, band)
    if mine[:2] != theirs[:2]:
        return (f"meets every budget but sits further from the capacity target of {band.target / n:.3g}/{word} "
                f"({e.candidate.params / n:.3g}/{word} against {chosen.candidate.params / n:.3g})")
    if mine[2] != theirs[2]:
        standard = _STANDARD.get(e.candidate.arch, "")
        return ("meets every budget and is as close to the capacity target (within 16 %), but its layout is less "
                f"standard for this input than the chosen one's{f' ({standard})' if standard else ''}")
    return f"meets every budget and is as close to the capacity target, but has more parameters ({e.candidate.params:,})"


def explain(spec: ProblemSpec, decision: Decision, sizing: Sizing, band: Band, references: tuple[Reference, ...],
            basis: str) -> tuple[Reason, ...]:
    """Every decision, in the order it was taken, with its seed section and its numbers."""
    e = sizing.chosen
    c = e.candidate
    m = spec.kind
    out = [Reason(INDUCTIVE, f"{m.value} → {decision.describe()}: {_BIAS.get(m, _SEQ)}"),
           Reason(TREE, " → ".join(decision.path))]
    if decision.family == "vit":
        out.append(Reason(TREE, "the seed says ViT for \"very large datasets\" without a number; archwise uses the ViT "
                                "paper's (Dosovitskiy et al. 2021): ViT overtakes ResNets from ImageNet-21k (14M) up"))
    if decision.family in ("transformer", "local_transformer") and (spec.samples or 0) < 100_000:
        out.append(Reason(INDUCTIVE, f"the seed also warns that Transformers need large datasets (weak inductive bias);"
                                     f" with {spec.samples:,} samples compare against an LSTM/GRU (archwise ladder)"))
    word, n = _per(spec)
    if band.enforced:
        out.append(Reason(CAPACITY, f"{c.label}: {c.params:,} parameters, {c.params / n:.3g} per {word}; band "
                                    f"{fmt_int(band.low)}–{fmt_int(band.high)} for {n:,} {word}s, aiming at "
                                    f"{fmt_int(band.target)} ({basis})"))
    else:
        out.append(Reason(CAPACITY, f"{c.label}: {c.params:,} parameters, {c.params / n:.3g} per {word}: a linear model "
                                    "is the seed's first step (\"perfect fit\" for small data), so no band applies"))
    out.append(Reason(DEPTH, f"searched {sizing.considered} candidates of depth and width inside the seed's bands "
                             f"(≤ 50 layers, channels growing as resolution falls, no shallow-and-wide layers); "
                             f"simulated {sizing.evaluated}"))
    memory = e.get("training_memory")
    if memory is not None:
        verdict = "fits" if memory.ok else "does not fit"
        where = spec.device or f"{fmt_bytes(spec.memory)} of memory"
        out.append(Reason(COMPUTE, f"training at batch {sizing.batch_size} ({spec.optimizer}, {spec.precision}) needs "
                                   f"{fmt_bytes(memory.value)}: {verdict} {where} ({fmt_bytes(memory.limit)} "
                                   f"usable, {fmt_bytes(abs(memory.limit - memory.value))} "
                                   f"{'free' if memory.ok else 'short'})"))
    if e.forward_s is not None:
        budget = (f", budget {fmt_time(float(spec.latency_budget))}" if spec.latency_budget is not None else "")
        out.append(Reason(COMPUTE, f"predicted inference {fmt_time(e.forward_s)} at batch 1 on {e.device} "
                                   f"({fmt_int(e.macs)} MACs){budget}"))
    out.append(Reason(TREE if sizing.binding == "capacity" else COMPUTE, _binding_text(sizing, spec, band)))
    for r in references:
        out.append(Reason(SIMPLE, f"train {r.architecture} beside it: {r.why}"))
    if m != Modality.TABULAR and decision.family not in ("linear", "mlp") and m != Modality.GRAPH:
        out.append(Reason(SIMPLE, "before trusting the specialised model, check that it beats a linear model and a "
                                  "small MLP on the same split: archwise ladder runs that progression"))
    return tuple(out)


def _binding_text(sizing: Sizing, spec: ProblemSpec, band: Band) -> str:
    word, n = _per(spec)
    chosen = sizing.chosen
    if not sizing.fits:
        return (f"no candidate meets every budget; the closest is {chosen.candidate.label}, which misses: "
                + "; ".join(_failure(c, spec) for c in chosen.failed()))
    if sizing.binding == "capacity":
        slack = [describe_constraint(c, spec) for c in chosen.constraints if c.name != "capacity"]
        room = "; ".join(f"{name} {value} of {limit}" for name, limit, value in slack)
        return (f"binding constraint: capacity: the data size sets the model's size ({chosen.candidate.params / n:.3g}"
                f" params/{word}, target {band.target / n:.3g})" + (f"; the other budgets leave room: {room}" if room
                                                                   else ""))
    lost = [r for r in sizing.runner_ups if any(c.name == sizing.binding for c in r.failed())]
    example = f"; {lost[0].candidate.label} would have been closer to the capacity target but " + _failure(
        next(c for c in lost[0].failed() if c.name == sizing.binding), spec) if lost else ""
    return f"binding constraint: {sizing.binding.replace('_', ' ')}{example}"


def relax(sizing: Sizing) -> tuple[str, ...]:
    """For the closest candidate of a spec nothing fits: each budget to relax and by how much."""
    out = []
    e = sizing.chosen
    for c in e.failed():
        if c.name == "latency":
            out.append(f"latency budget: {fmt_time(c.limit)} → at least {fmt_time(c.value)} "
                       f"(×{c.value / c.limit:.2f}), or a faster device")
        elif c.name == "training_memory":
            out.append(f"memory: {fmt_bytes(c.value)} needed, {fmt_bytes(c.limit)} usable: "
                       f"{fmt_bytes(c.value - c.limit)} more, or a smaller batch than {sizing.batch_size}")
        else:
            low, high = c.limit
            if c.value > high:
                out.append(f"data: {c.value / high:.3g}× more samples would bring {e.candidate.label} "
                           f"({fmt_int(c.value)} params) inside the capacity band, or accept it above the band")
            elif len(e.failed()) == 1 and sizing.runner_ups:
                out.append(f"capacity: the data supports at least {fmt_int(low)} params, but the largest candidate "
                           f"within the other budgets has {fmt_int(c.value)}: accept it below the band (it may "
                           "underfit) or relax the budgets that bound it")
            else:
                out.append(f"capacity: the data supports at least {fmt_int(low)} params, more than {e.candidate.label} "
                           f"({fmt_int(c.value)}): accept it below the band (it may underfit)")
    return tuple(out)
