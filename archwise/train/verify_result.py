"""What :func:`archwise.verify_fixes` returns: one :class:`FixTrial` per fix, and the verdict.

The comparison is paired: every trial starts from the same seed, so the unchanged run and a fix share
their initial weights and batch order, and the ratio of their losses is the fix's effect. A paired
ratio from one seed can still be luck, so the unchanged run and the leading fix are run again from
``seed + 1``: a fix wins when its loss is lower than the unchanged run's by more than ``min_gain``
and by more than the unchanged run's own seed-to-seed spread, at both seeds.

Example:
    >>> base = FixTrial("baseline", "Adam lr 1e-06", TrialStatus.OK, loss=2.31)
    >>> fix = FixTrial("raise_learning_rate", "lr 1e-06 → 1e-05", TrialStatus.OK, loss=1.2, ratio=0.52)
    >>> result = VerifyResult((base, fix), (), 500, 0, 60.0, 1.0, 1347, 0.02)
    >>> result.best.action, result.confirmed
    ('raise_learning_rate', False)
    >>> VerifyResult.from_dict(result.to_dict()) == result
    True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from .diagnosis import fmt

__all__ = ["TrialStatus", "FixTrial", "VerifyResult", "MEASURE", "MEASURE_SAMPLES"]

MEASURE_SAMPLES = 2048  # training samples the loss is measured on after the last step (all of them when fewer)
MEASURE = (f"the mean training loss on a fixed set of up to {MEASURE_SAMPLES:,} training samples after the last "
           "step (model.eval(), targets in their original units)")


class TrialStatus(str, Enum):
    OK = "ok"                          # trained every step; loss measured
    NON_FINITE = "non_finite"          # the loss went inf/NaN: ranked last
    FAILED = "failed"                  # the fix or its training raised: ranked last
    OVER_BUDGET = "over_budget"        # stopped at the budget mid-way: no loss
    SKIPPED = "skipped"                # not started: its predicted time did not fit the budget left
    NOT_APPLICABLE = "not_applicable"  # the fix changes nothing here (no weight decay to reduce, ...)


_TRIED = (TrialStatus.OK, TrialStatus.NON_FINITE, TrialStatus.FAILED)


@dataclass(frozen=True)
class FixTrial:
    """One trial: the fix (``"baseline"`` for the unchanged run), what it set, and what it measured."""

    action: str                  # a Fix value, or "baseline"
    setting: str                 # what was changed, in words ("lr 1e-06 → 1e-05")
    status: TrialStatus
    loss: float | None = None    # the measure (see MEASURE); None unless status is ok
    ratio: float | None = None   # loss / the unchanged run's loss from the same seed
    seconds: float = 0.0         # setup + training + measuring
    steps: int = 0               # optimizer steps done
    seed: int = 0
    prescribed_by: tuple[str, ...] = ()  # the problems whose prescriptions name this fix
    note: str = ""               # why it was not run, stopped, or failed

    def with_ratio(self, base: FixTrial) -> FixTrial:
        ok = self.loss is not None and base.loss is not None and base.loss > 0
        return replace(self, ratio=self.loss / base.loss if ok else None)

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "setting": self.setting, "status": self.status.value, "loss": self.loss,
                "ratio": self.ratio, "seconds": self.seconds, "steps": self.steps, "seed": self.seed,
                "prescribed_by": list(self.prescribed_by), "note": self.note}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FixTrial:
        return cls(**{**data, "status": TrialStatus(data["status"]), "prescribed_by": tuple(data["prescribed_by"])})


@dataclass(frozen=True)
class VerifyResult:
    """The unchanged run and every fix from ``seed`` (tried ones ranked by loss, non-finite and failed last,
    then those not run), and the second seed's unchanged run and leading fix."""

    trials: tuple[FixTrial, ...]          # trials[0] is the unchanged run
    second: tuple[FixTrial, ...]          # from seed + 1: the unchanged run, then the leading fix (as the budget
                                          # allowed)
    steps: int
    seed: int
    budget: float
    seconds: float
    samples: int                          # the training samples the loss is measured on
    min_gain: float                       # a winner's loss is at least this much lower (relative), at both seeds
    unverifiable: tuple[tuple[str, str], ...] = ()  # (action, problem): prescriptions that are not a setting
    measure: str = MEASURE

    @property
    def baseline(self) -> FixTrial:
        return self.trials[0]

    @property
    def fixes(self) -> tuple[FixTrial, ...]:
        return self.trials[1:]

    @property
    def noise(self) -> float | None:
        """The unchanged run's seed-to-seed spread: ``|loss(seed + 1) − loss(seed)| / loss(seed)``."""
        a = self.baseline.loss
        b = self.second[0].loss if self.second else None
        return None if a is None or b is None or not a else abs(b - a) / abs(a)

    @property
    def cut(self) -> float:
        """How much lower (relative) a fix's loss must be to count: ``min_gain`` or the noise, the larger."""
        return max(self.min_gain, self.noise or 0.0)

    @property
    def leader(self) -> FixTrial | None:
        """The fix with the lowest loss from ``seed`` (None when none finished)."""
        return self.fixes[0] if self.fixes and self.fixes[0].status is TrialStatus.OK else None

    @property
    def confirmation(self) -> FixTrial | None:
        """The leading fix again from ``seed + 1`` (None when the budget left no time for it)."""
        return self.second[1] if len(self.second) > 1 else None

    @property
    def confirmed(self) -> bool:
        """The leader beat the unchanged run by more than :attr:`cut` from the second seed too."""
        c = self.confirmation
        return c is not None and c.status is TrialStatus.OK and (
            self.second[0].status is TrialStatus.NON_FINITE or (c.ratio is not None and c.ratio < 1 - self.cut))

    @property
    def best(self) -> FixTrial | None:
        """The winner: the leader, when it beat the unchanged run by more than :attr:`cut` (or the unchanged run
        went non-finite) and the second seed, when run, agrees; None when no fix did."""
        lead, base = self.leader, self.baseline
        if lead is None or base.status not in (TrialStatus.OK, TrialStatus.NON_FINITE):
            return None
        if base.status is TrialStatus.OK and not (lead.ratio is not None and lead.ratio < 1 - self.cut):
            return None
        return lead if self.confirmation is None or self.confirmed else None

    @property
    def verdict(self) -> str:
        """One sentence: which fix won and by how much, or why none did."""
        base, best, lead = self.baseline, self.best, self.leader
        tried = [t for t in self.fixes if t.status in _TRIED]
        if base.status not in (TrialStatus.OK, TrialStatus.NON_FINITE):
            return (f"the unchanged run did not finish ({base.note}); no fix was compared: lower steps (now "
                    f"{self.steps}) or raise the budget (now {self.budget:g} s)")
        if not tried:
            return "no fix was tried: " + ("none fit the budget" if self.fixes else
                                           "no prescription of these diagnoses is a setting (pass fixes=...)")
        if base.status is TrialStatus.NON_FINITE:
            if best is None:
                return f"the unchanged run went non-finite ({base.note}), and so did every fix tried"
            return (f"{best.action} wins: the unchanged run went non-finite ({base.note}); with the fix the loss is "
                    f"{fmt(best.loss)}")
        noise = (f"the seed-to-seed noise is {_pct(self.noise)}" if self.noise is not None
                 else "the seed-to-seed noise was not measured (budget)")
        c, again = self.confirmation, f"from seed {self.seed + 1}"
        if best is not None:
            second = (f"{c.ratio:.3g}× {again}" if c is not None and c.ratio is not None else
                      f"{again} the unchanged run went non-finite" if c is not None else
                      "from one seed only: the second did not fit the budget")
            return (f"{best.action} wins: loss {fmt(best.loss)} against {fmt(base.loss)} unchanged "
                    f"({lead.ratio:.3g}×, {_pct(1 - lead.ratio)} lower; {second}); {noise}")
        rule = f"more than {_pct(self.cut)} (the larger of {_pct(self.min_gain)} and the noise)"
        if lead is not None and lead.ratio is not None and lead.ratio < 1 - self.cut and c is not None:
            where = f"{c.ratio:.3g}×" if c.ratio is not None else c.status.value.replace("_", "-")
            return (f"no fix beat the unchanged run by {rule} from both seeds: {lead.action} was {lead.ratio:.3g}× "
                    f"from seed {self.seed} but {where} {again}; {noise}")
        top = tried[0]
        where = f"{top.action} at {top.ratio:.3g}×" if top.ratio is not None else f"{top.action} ({top.status.value})"
        return f"no fix beat the unchanged run by {rule}; the best was {where}; {noise}"

    def to_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "seed": self.seed, "budget_s": self.budget, "seconds": self.seconds,
                "samples": self.samples, "min_gain": self.min_gain, "measure": self.measure,
                "noise": self.noise, "best": self.best.action if self.best else None, "confirmed": self.confirmed,
                "verdict": self.verdict, "trials": [t.to_dict() for t in self.trials],
                "second_seed": [t.to_dict() for t in self.second],
                "unverifiable": [{"action": a, "problem": p} for a, p in self.unverifiable]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VerifyResult:
        return cls(tuple(FixTrial.from_dict(t) for t in data["trials"]),
                   tuple(FixTrial.from_dict(t) for t in data["second_seed"]), data["steps"], data["seed"],
                   data["budget_s"], data["seconds"], data["samples"], data["min_gain"],
                   tuple((u["action"], u["problem"]) for u in data["unverifiable"]), data["measure"])

    def __rich__(self):  # noqa: ANN204
        from ..report.verify import render_verify

        return render_verify(self)


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{100 * value:.2g}%" if value < 0.1 else f"{100 * value:.0f}%"
