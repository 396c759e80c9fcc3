"""oscillation: over the last half of the run the smoothed loss swings around its own trend by much
more than the trend moves it.

Positive losses are compared on a log scale, so a loss falling from 1 to 0.01 is a trend, not a
swing; the swing is the 10th-to-90th percentile range of the smoothed loss's residual around a
straight-line fit. Batch-to-batch noise is not oscillation: the swing must also be twice what
independent noise of the run's own step-to-step spread would give after the same smoothing.
"""

from __future__ import annotations

import math
import statistics

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, fmt
from ..record import TrainingRecord
from ._advice import clip_gradients, lower_learning_rate
from ._signals import Signals, rolling_median

PROBLEM = "oscillation"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    if not sig.enough or sig.nonfinite_steps:
        return None
    half = sig.losses[len(sig.losses) // 2:]
    width = max(3, sig.width // 2)
    if len(half) < 4 * width:
        return None
    level = statistics.median(half)
    logged = all(v > 0 for v in half)
    if not logged and level == 0:
        return None
    values = [math.log(v) for v in half] if logged else [v / abs(level) for v in half]
    smooth = rolling_median(values, width)
    n = len(smooth)
    mean_x, mean_y = (n - 1) / 2, sum(smooth) / n
    slope = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(smooth)) / sum((i - mean_x) ** 2 for i in range(n))
    residual = sorted(y - (mean_y + slope * (i - mean_x)) for i, y in enumerate(smooth))
    swing = residual[int(0.9 * (n - 1))] - residual[int(0.1 * (n - 1))]
    trend = abs(slope * (n - 1))
    limit = math.log1p(cfg.oscillation_cv) * 2 if logged else 2 * cfg.oscillation_cv
    # what batch-to-batch noise alone gives: the 10-90% range of a median of `width` independent
    # draws is about 3.2 sigma / sqrt(width); sigma from the raw step-to-step differences (MAD)
    diffs = [b - a for a, b in zip(values, values[1:])]
    centre = statistics.median(diffs)
    sigma = 1.4826 * statistics.median(abs(d - centre) for d in diffs) / math.sqrt(2)
    noise = 3.2 * sigma / math.sqrt(width)
    if swing < limit or swing < 2 * noise or trend * cfg.oscillation_ratio >= swing:
        return None
    as_factor = math.exp(swing / 2) - 1 if logged else swing / 2
    evidence = {"swing": as_factor, "noise_swing": (math.exp(noise / 2) - 1) if logged else noise / 2, "trend": (math.exp(-slope * (n - 1)) - 1) if logged else -slope * (n - 1),
                "level": level, "from_step": sig.steps[len(sig.losses) // 2]}
    severity, gate = sig.gate(" overall")
    summary = (f"from step {evidence['from_step']} the smoothed loss swings ±{fmt(100 * as_factor)}% around its "
               f"trend (level {fmt(level)}), more than the trend moves it{gate}")
    prescriptions = (lower_learning_rate(sig), Prescription("increase_batch_size", "increase the batch size (or "
                     "accumulate gradients) to reduce the gradient noise"),
                     Prescription("learning_rate_schedule", "decay the learning rate over training"),
                     clip_gradients(sig))
    return Diagnosis(PROBLEM, severity, summary, evidence, prescriptions)
