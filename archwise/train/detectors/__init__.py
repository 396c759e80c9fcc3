"""The detectors, one per file, each ``detect(record, config, signals) -> Diagnosis | None``.

:func:`diagnose` runs them all over a :class:`~archwise.train.record.TrainingRecord` and returns
the diagnoses most severe first (at equal severity, causes before symptoms).
"""

from __future__ import annotations

from typing import Any

from ..diagnosis import PROBLEMS, DiagnoseConfig, Diagnosis, ranked
from ..record import TrainingRecord
from . import (dead_units, divergence, exploding_gradients, loss_not_decreasing, non_finite, oscillation,
               overfitting, saturation, slow_step, underfitting, vanishing_gradients)
from ._signals import Signals

__all__ = ["DETECTORS", "diagnose"]

DETECTORS = {m.PROBLEM: m.detect for m in (non_finite, exploding_gradients, divergence, dead_units, saturation,
                                            vanishing_gradients, loss_not_decreasing, overfitting, underfitting,
                                            oscillation, slow_step)}
assert tuple(DETECTORS) == PROBLEMS


def diagnose(record: TrainingRecord, config: DiagnoseConfig | None = None, **thresholds: Any) -> list[Diagnosis]:
    """Every problem the record shows, most severe first. Thresholds override ``config`` by name."""
    cfg = (config or DiagnoseConfig()).with_overrides(**thresholds)
    signals = Signals(record, cfg)
    found = [d for detect in DETECTORS.values() if (d := detect(record, cfg, signals)) is not None]
    return ranked(found)
