"""The keep/reject rule: a more complex rung is kept only when it earns its complexity.

A rung is kept when, against the best simpler rung (the lowest mean test error among the rungs
before it):

1. it cuts the error by more than ``threshold`` (relative: 0.05 = 5 %), and
2. the gain is larger than twice the noise. Both rungs are trained with the same seeds and scored
   on the same test rows, so the noise is that of the *paired* difference between them: the larger
   of its spread across seeds (the sample standard deviation of seed s's error of the simpler rung
   minus seed s's error of the candidate) and its standard error over the test rows (each row's
   error averaged over the seeds). Neither rung's own spread enters: a rung that is noisy on its
   own but beaten on every seed by the same margin does not hide the gain.

The first rung is the baseline and always kept. The recommended model is the last kept rung: it
beat every simpler rung, and no more complex rung beat it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Verdict", "judge", "paired_se", "paired_spread"]


@dataclass(frozen=True)
class Verdict:
    kept: bool
    reason: str
    against: str | None = None  # the best simpler rung it was compared with
    cut: float | None = None  # relative error cut against it
    gain: float | None = None  # absolute error gain
    noise: float | None = None  # the larger of the paired seed spread and the paired test-row standard error


def paired_se(simpler: np.ndarray, candidate: np.ndarray) -> float:
    """Standard error of the mean gain over test rows; each argument holds per-row errors (seeds averaged).

    Example:
        >>> round(paired_se(np.array([1.0, 0, 0, 0]), np.array([0.0, 0, 0, 0])), 3)
        0.25
    """
    d = np.asarray(simpler, dtype=np.float64) - np.asarray(candidate, dtype=np.float64)
    if len(d) < 2:
        return 0.0
    return float(d.std(ddof=1) / math.sqrt(len(d)))


def paired_spread(simpler: list[float], candidate: list[float]) -> float:
    """Sample standard deviation across seeds of the paired gain (``simpler[s] - candidate[s]``, the
    same seed s in both); 0 with one seed.

    Example:
        >>> round(paired_spread([0.04, 0.05, 0.06], [0.02, 0.03, 0.04]), 6)  # beaten by 0.02 on every seed
        0.0
    """
    d = np.asarray(simpler, dtype=np.float64) - np.asarray(candidate, dtype=np.float64)
    return float(d.std(ddof=1)) if len(d) > 1 else 0.0


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %" if abs(x) >= 0.1 else f"{100 * x:.2g} %"


def judge(names: list[str], errors: list[list[float]], row_errors: list[np.ndarray | None], threshold: float,
          fmt=lambda e: f"{e:.4g}") -> list[Verdict]:  # noqa: ANN001
    """One verdict per rung, in order. ``errors[i]`` are rung i's test errors, one per seed (the
    same seeds, in the same order, for every rung);
    ``row_errors[i]`` its per-test-row error averaged over seeds (or None); ``fmt`` writes an error.

    Example:
        >>> v = judge(["a", "b"], [[0.10, 0.10], [0.05, 0.05]], [None, None], 0.05)
        >>> v[1].kept, v[1].against, round(v[1].cut, 2)
        (True, 'a', 0.5)
    """
    means = [float(np.mean(e)) if e and all(np.isfinite(e)) else math.nan for e in errors]
    out: list[Verdict] = []
    for i, name in enumerate(names):
        if not math.isfinite(means[i]):
            out.append(Verdict(False, "rejected: training failed (the loss became NaN or infinite at every learning "
                                      "rate tried)"))
            continue
        simpler = [j for j in range(i) if math.isfinite(means[j])]
        if not simpler:
            out.append(Verdict(True, "kept: the baseline (the seed: always start with the simplest model)"))
            continue
        j = min(simpler, key=lambda k: means[k])
        base, mine = means[j], means[i]
        gain = base - mine
        se = paired_se(row_errors[j], row_errors[i]) if row_errors[j] is not None and row_errors[i] is not None \
            else 0.0
        assert len(errors[j]) == len(errors[i]), f"'{names[j]}' and '{name}' were not trained with the same seeds"
        spread = paired_spread(errors[j], errors[i])
        noise = max(spread, se)
        what = "paired spread across seeds" if spread >= se else "paired standard error over the test rows"
        if base <= 0:
            out.append(Verdict(False, f"rejected: '{names[j]}' already has zero test error", names[j], 0.0, gain,
                               noise))
            continue
        cut = gain / base
        if gain <= 0:
            out.append(Verdict(False, f"rejected: no better than '{names[j]}' (error {fmt(mine)} against "
                                      f"{fmt(base)})", names[j], cut, gain, noise))
        elif cut <= threshold + 1e-12:  # a cut equal to the threshold (up to rounding) is not more than it
            out.append(Verdict(False, f"rejected: cuts the error of '{names[j]}' by only {_pct(cut)} ({fmt(base)} → "
                                      f"{fmt(mine)}), not more than the {_pct(threshold)} threshold",
                               names[j], cut, gain, noise))
        elif gain <= 2 * noise:
            out.append(Verdict(False, f"rejected: cuts the error of '{names[j]}' by {_pct(cut)} ({fmt(base)} → "
                                      f"{fmt(mine)}), but the gain {fmt(gain)} is within twice the noise "
                                      f"(2 × {fmt(noise)}, the {what})", names[j], cut, gain, noise))
        else:
            out.append(Verdict(True, f"kept: cuts the error of '{names[j]}' by {_pct(cut)} ({fmt(base)} → "
                                     f"{fmt(mine)}), more than the {_pct(threshold)} threshold and more than twice "
                                     f"the noise (2 × {fmt(noise)}, the {what})", names[j], cut, gain, noise))
    return out
