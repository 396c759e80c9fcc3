"""What a detector returns, and the thresholds every detector reads.

Example:
    >>> d = Diagnosis("overfitting", Severity.WARNING, "val loss rose 30% above its best",
    ...               {"best_epoch": 3}, (Prescription("reduce_capacity", "reduce capacity: ..."),))
    >>> d.to_dict()["prescriptions"][0]["action"]
    'reduce_capacity'
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..errors import ArchwiseError, did_you_mean
from ..rules.registry import Severity

__all__ = ["PROBLEMS", "Diagnosis", "Prescription", "DiagnoseConfig", "Severity"]

# The problems in the order they are reported at equal severity: causes before the symptoms they
# produce (a saturated or dead layer is why gradients vanish; vanishing is why the loss is flat).
# Data and loss bugs come first: when the labels, the batch order or the loss's inputs are wrong, no
# change to the model or the optimizer helps.
PROBLEMS = ("non_finite", "probabilities_into_logit_loss", "labels_misaligned", "unshuffled_data", "unscaled_targets",
            "exploding_gradients", "divergence", "weight_decay_too_high", "dead_units", "saturation",
            "vanishing_gradients", "loss_not_decreasing", "overfitting", "underfitting", "oscillation", "slow_step")


@dataclass(frozen=True)
class Prescription:
    """One remedy: ``action`` is a stable key (for code and tests), ``text`` says it for this run."""

    action: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"action": self.action, "text": self.text}


@dataclass(frozen=True)
class Diagnosis:
    """A problem found in a run, the numbers behind it, and what to do, in the seed's order."""

    problem: str
    severity: Severity
    summary: str
    evidence: dict[str, Any]
    prescriptions: tuple[Prescription, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"problem": self.problem, "severity": self.severity.value, "summary": self.summary,
                "evidence": self.evidence, "prescriptions": [p.to_dict() for p in self.prescriptions]}

    @property
    def rank(self) -> tuple[int, int]:
        return (-self.severity.rank, PROBLEMS.index(self.problem))


@dataclass(frozen=True)
class DiagnoseConfig:
    """Every threshold a detector uses; override any by name (``diagnose(record, dead_fraction=0.7)``)."""

    # how much history the loss rules need and how they smooth it
    min_steps: int = 20             # fewer losses than this: the step-level loss rules stay quiet
    window: float = 0.1             # the head/tail window, as a fraction of the run's steps
    min_window: int = 5             # ... and at least this many steps
    # the gate: a run whose smoothed loss fell this much (relative) is "improving well", and
    # gradient or activation statistics alone then never raise a warning
    improving_well: float = 0.3
    flat_loss: float = 0.05         # loss_not_decreasing: the smoothed loss fell less than this
    vanishing_ratio: float = 1e-3   # a layer's gradient norm below this × the largest layer's
    vanishing_abs: float = 1e-6     # ... or below this, absolutely (when the loss is not improving)
    deep_vanishing_ratio: float = 1e-2  # past 10 layers, gradients shrinking steadily toward the input to below
                                        # this × the largest layer's
    exploding_grad: float = 1e3     # a layer's gradient norm above this is exploding
    exploding_growth: float = 100.0  # ... or this many times its own median over the first samples
    exploding_update: float = 0.1   # an update-to-weight ratio above this (healthy runs sit near 1e-3)
    severe_update: float = 1.0      # ... at least this (a step as large as the weights): a warning whatever the loss did
    divergence_factor: float = 1.5  # the loss ended this many times above its smoothed minimum
    dead_fraction: float = 0.5      # a ReLU module with at least this fraction of units never active
    severe_dead: float = 0.8        # ... at least this fraction: a warning whatever the loss did (no gate)
    saturated_fraction: float = 0.3  # a sigmoid/tanh module with at least this fraction saturated
    severe_saturated: float = 0.5   # ... at least this fraction: a warning whatever the loss did (no gate)
    oscillation_ratio: float = 1.0  # loss swings this many times the net progress over the tail
    oscillation_cv: float = 0.15    # ... and its tail's swings are this large relative to its level
    overfit_val_rise: float = 0.1   # val loss this far (relative) above its best, for 2+ epochs (and this share
                                    # of the trivial predictor's loss, when known)
    overfit_gap: float = 0.1        # or train metric above val metric by this much (absolute)
    underfit_metric: float = 0.9    # a higher-is-better train metric below this is "low"
    underfit_drop: float = 0.5      # without a metric: train loss fell less than this (relative)
    underfit_gap: float = 0.1       # train and val within this (relative): no overfitting
    still_falling: float = 0.03     # underfitting: "train longer" leads while the train loss falls this much per epoch
    steep_fall: float = 0.1         # ... and warns after only 2 epochs when it falls this much per epoch
    short_run: int = 5              # ... and only warns for runs of at most this many epochs, or still falling steeply
                                    # (a longer run still improving slowly is converging: info)
    ample_capacity: float = 1.0     # underfitting: this many trainable parameters per training sample, no layer
                                    # narrower than the classes and a plateau: capacity is not what limits the run
                                    # (a label-noise or data ceiling), so the note is only info
    misaligned_val_loss: float = 0.75  # labels_misaligned: the best val loss stays above this share of the trivial
                                       # predictor's while the train loss falls below half of it
    min_epochs: int = 3             # fewer epochs than this: the epoch rules stay quiet
    unscaled_target_loss: float = 100.0  # a regression whose loss starts above this has unscaled targets
    decay_shrink: float = 0.5       # weight_decay_too_high: the weights' norm fell to this share of its start
    unshuffled_corr: float = 0.5    # unshuffled_data: the in-epoch loss pattern repeats with this correlation
    unshuffled_swing: float = 0.1   # ... and swings by this share of the loss's level
    tiny_update: float = 1e-4       # a typical update-to-weight ratio below this is a learning rate too low
    slow_data: float = 0.4          # data wait above this fraction of the step time
    slow_backward: float = 4.0      # backward above this many times the forward

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def from_pyproject(cls, path: str | Path | None = None, start: str | Path | None = None) -> DiagnoseConfig:
        """``[tool.archwise.diagnose]`` of ``path``, or of the nearest ``pyproject.toml`` above ``start``
        (the current directory); the defaults when there is none."""
        from ..rules.config import read_tool_table

        table, file = read_tool_table(path, start)
        table = table.get("diagnose", {})
        try:
            return cls().with_overrides(**table)
        except ArchwiseError as err:
            raise ArchwiseError(f"{err} (in [tool.archwise.diagnose] of {file})") from None

    def with_overrides(self, **values: Any) -> DiagnoseConfig:
        known = {f.name: f.type for f in fields(self)}
        clean = {}
        for key, value in values.items():
            if key not in known:
                raise ArchwiseError(f"unknown diagnose threshold '{key}'{did_you_mean(key, known)}; known: "
                                    f"{', '.join(known)}")
            try:
                clean[key] = int(value) if known[key] == "int" else float(value)
            except (TypeError, ValueError):
                raise ArchwiseError(f"threshold {key} expects a number; found {value!r}") from None
            if clean[key] < 0:
                raise ArchwiseError(f"threshold {key} must be ≥ 0; found {value!r}")
        return replace(self, **clean)


def ranked(diagnoses: list[Diagnosis]) -> list[Diagnosis]:
    """Most severe first; at equal severity, causes before symptoms (see :data:`PROBLEMS`)."""
    return sorted(diagnoses, key=lambda d: d.rank)


def fmt(value: float) -> str:
    """A number as a person reads it in evidence: 3 significant digits, scientific when tiny or huge.

    Example:
        >>> fmt(0.000000123), fmt(0.3), fmt(1234.5), fmt(float('nan'))
        ('1.23e-07', '0.3', '1.23e+03', 'nan')
    """
    return f"{value:.3g}"


def pct(value: float) -> str:
    """A fraction as a percentage. Example: ``pct(0.123)`` → ``'12%'``."""
    return f"{100 * value:.0f}%"
