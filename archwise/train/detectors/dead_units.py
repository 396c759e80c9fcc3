"""dead_units: ReLU-family modules whose units were never active over the monitor's window."""

from __future__ import annotations

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, fmt, pct
from ..record import TrainingRecord
from ._advice import add_normalization, check_initialization, lower_learning_rate
from ._signals import Signals, label

PROBLEM = "dead_units"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    dead = sig.layer_medians("dead")
    hits = [(record.activations[i], f) for i, f in enumerate(dead) if f is not None and f >= cfg.dead_fraction]
    if not hits:
        return None
    window = record.meta.get("window", 1) * record.every
    names = ", ".join(f"{label(a.name, a.type)} {pct(f)}" for a, f in hits)
    evidence = {"modules": {a.name: f for a, f in hits}, "window_steps": window, "loss_drop": sig.drop}
    severity, gate = sig.gate()
    summary = f"units never active over the last {window} steps: {names}{gate}"
    feeders = sorted({a.after for a, _ in hits if a.after})
    focus = f" (the layers feeding them: {', '.join(feeders)})" if feeders else ""
    ratios = sig.layer_medians("update_ratio")
    big = max((r for r in ratios if r is not None), default=None)
    prescriptions = (check_initialization(record, focus),
                     lower_learning_rate(sig, f" (large updates push ReLUs into the dead zone; the largest update ratio "
                                              f"is {fmt(big)})" if big else ""),
                     Prescription("leaky_activation", f"replace {', '.join(a.name for a, _ in hits)} "
                                  f"({hits[0][0].type}) with nn.LeakyReLU(0.01) or nn.GELU, which pass gradient for "
                                  "negative inputs"),
                     add_normalization(record))
    return Diagnosis(PROBLEM, severity, summary, evidence, prescriptions)
