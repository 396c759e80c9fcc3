"""dead_units: ReLU-family modules whose units were never active over the monitor's window."""

from __future__ import annotations

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, fmt, pct
from ..record import TrainingRecord
from ._advice import (add_normalization, by_evidence, check_initialization, init_gaps, lower_learning_rate,
                      normalize_inputs, unit_severity)
from ._signals import Signals, label

PROBLEM = "dead_units"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    dead = sig.layer_medians("dead")
    hits = [(record.activations[i], f) for i, f in enumerate(dead) if f is not None and f >= cfg.dead_fraction]
    if not hits:
        return None
    window = record.meta.get("window", 1) * record.every
    names = ", ".join(f"{label(a.name, a.type)} {pct(f)}" for a, f in hits[:6]) + (
        f" and {len(hits) - 6} more" if len(hits) > 6 else "")
    evidence = {"modules": {a.name: f for a, f in hits}, "window_steps": window, "loss_drop": sig.drop}
    severity, gate, unscaled = unit_severity(record, sig, hits, cfg.severe_dead,
                                             f"lost at least {pct(cfg.severe_dead)} of its units, too many to leave "
                                             "to the loss")
    summary = f"units never active over the last {window} steps: {names}{gate}"
    feeders = sorted({a.after for a, _ in hits if a.after})
    focus = f" (the layers feeding them: {', '.join(feeders)})" if feeders else ""
    ratios = sig.layer_medians("update_ratio")
    big = max((r for r in ratios if r is not None), default=None)
    init = check_initialization(record, focus)
    lower = lower_learning_rate(sig, f" (large updates push ReLUs into the dead zone; the largest update ratio is "
                                     f"{fmt(big)})" if big else "")
    hit_names = {h.name for h, _ in hits}
    indices = [i for i, a in enumerate(record.activations) if a.name in hit_names]
    died = _died_in_training(sig, indices, cfg)
    if died:
        first = next(s.dead for s in sig.samples if s.dead)
        alive = ", ".join(f"{record.activations[i].name} {pct(first[i])}" for i in indices)
        lower = lower_learning_rate(sig, f" (the units were alive at the first sample, dead then: {alive}; the "
                                         "updates killed them)")
    leaky = Prescription("leaky_activation", f"replace {', '.join(a.name for a, _ in hits)} ({hits[0][0].type}) with "
                         "nn.LeakyReLU(0.01) or nn.GELU, which pass gradient for negative inputs")
    # by evidence: unscaled inputs feeding the first layer; a start off the usual init; updates as large
    # as the weights (a learning rate that knocked the units out); else the seed's order
    prescriptions = by_evidence([(unscaled, normalize_inputs(sig)),
                                 (bool(init_gaps(record)), init),
                                 (big is not None and big > cfg.exploding_update, lower), (died, lower)],
                                [init, lower, leaky, add_normalization(record)])
    return Diagnosis(PROBLEM, severity, summary, evidence, prescriptions)


def _died_in_training(sig: Signals, indices: list[int], cfg: DiagnoseConfig) -> bool:
    """The units were alive at the first sample and died later: the updates killed them, not the init."""
    first = next((s.dead for s in sig.samples if s.dead), None)
    if not first:
        return False
    return all(first[i] is not None and first[i] < cfg.dead_fraction / 2 for i in indices)
