"""The detectors, one per file, each ``detect(record, config, signals) -> Diagnosis | None``.

:func:`diagnose` runs them all over a :class:`~archwise.train.record.TrainingRecord` and returns
the diagnoses most severe first (at equal severity, causes before symptoms).
"""

from __future__ import annotations

from typing import Any

from ..diagnosis import PROBLEMS, DiagnoseConfig, Diagnosis, ranked
from ..record import TrainingRecord
from . import (dead_units, divergence, exploding_gradients, labels_misaligned, loss_not_decreasing, non_finite,
               oscillation, overfitting, probabilities_into_logit_loss, saturation, slow_step, underfitting,
               unscaled_targets, unshuffled_data, vanishing_gradients, weight_decay_too_high)
from ._signals import Signals

__all__ = ["DETECTORS", "diagnose"]

DETECTORS = {m.PROBLEM: m.detect for m in (non_finite, probabilities_into_logit_loss, labels_misaligned,
                                            unshuffled_data, unscaled_targets, exploding_gradients, divergence,
                                            weight_decay_too_high, dead_units, saturation, vanishing_gradients,
                                            loss_not_decreasing, overfitting, underfitting, oscillation, slow_step)}
assert tuple(DETECTORS) == PROBLEMS


def diagnose(record: TrainingRecord, config: DiagnoseConfig | None = None, **thresholds: Any) -> list[Diagnosis]:
    """Every problem the record shows, most severe first. Thresholds override ``config`` by name."""
    cfg = (config or DiagnoseConfig()).with_overrides(**thresholds)
    signals = Signals(record, cfg)
    found = ranked([d for detect in DETECTORS.values() if (d := detect(record, cfg, signals)) is not None])
    # past 10 layers without skips, dead or saturated deep layers are what vanishing gradients look like
    # from the activations: the remedy is the skip connections, so that diagnosis leads
    deep = next((d for d in found if d.problem == "vanishing_gradients"
                 and d.prescriptions[0].action == "add_skip_connections"), None)
    if deep is not None:
        ahead = [d for d in found[:found.index(deep)] if d.problem in ("dead_units", "saturation")
                 and d.severity == deep.severity]
        if ahead and found.index(ahead[0]) == found.index(deep) - len(ahead):
            found.remove(deep)
            found.insert(found.index(ahead[0]), deep)
    return found
