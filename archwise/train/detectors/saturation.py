"""saturation: sigmoid/tanh modules whose pre-activations sit in the flat tails (|x| ≥ 5 by default)."""

from __future__ import annotations

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, fmt, pct
from ..record import TrainingRecord
from ._advice import (add_normalization, by_evidence, check_initialization, init_gaps, lower_learning_rate,
                      normalize_inputs, unit_severity)
from ._signals import Signals, label

PROBLEM = "saturation"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    sat = sig.layer_medians("saturated")
    last = record.layers[-1].name if record.layers else None
    # a sigmoid/tanh after the last weighted layer is the output (a probability for BCE, a bounded
    # regression): a confident output sits in its tails by design
    hits = [(record.activations[i], f) for i, f in enumerate(sat) if f is not None and f >= cfg.saturated_fraction
            and not (record.activations[i].after == last and last is not None)]
    if not hits:
        return None
    at = record.meta.get("saturation_at", 5.0)
    names = ", ".join(f"{label(a.name, a.type)} {pct(f)}" for a, f in hits[:6]) + (
        f" and {len(hits) - 6} more" if len(hits) > 6 else "")
    evidence = {"modules": {a.name: f for a, f in hits}, "threshold": at, "loss_drop": sig.drop}
    severity, gate, unscaled = unit_severity(record, sig, hits, cfg.severe_saturated,
                                             f"at least {pct(cfg.severe_saturated)} saturated, where its gradient is "
                                             "nearly zero")
    summary = f"pre-activations with |x| ≥ {fmt(at)}: {names}{gate}"
    feeders = sorted({a.after for a, _ in hits if a.after})
    focus = f" (the layers feeding them: {', '.join(feeders)})" if feeders else ""
    relu = Prescription("relu_activation", f"use a ReLU-family activation for hidden layers instead of "
                        f"{hits[0][0].type}; keep sigmoid for gates and outputs")
    # by evidence: unscaled inputs saturate the first layer; otherwise the initialisation first (the seed)
    init = check_initialization(record, focus)
    prescriptions = by_evidence([(unscaled, normalize_inputs(sig)), (bool(init_gaps(record)), init)],
                                [init, normalize_inputs(sig), add_normalization(record), relu, lower_learning_rate(sig)])
    return Diagnosis(PROBLEM, severity, summary, evidence, prescriptions)
