"""Verify a prescription instead of guessing it: re-run training with each fix and measure.

:func:`verify_fixes` takes the user's ``setup(seed)`` (it builds a model, an optimizer, a loss and the
training data; see :class:`TrainSetup`) and the diagnoses of a run. Each prescription that is a setting
(see :mod:`archwise.train._fixes`) becomes a trial: ``setup(seed)`` again, the fix applied to those
fresh objects, the same N optimizer steps from the same seed. The unchanged run is the baseline; the
fixes are ranked by the loss on a fixed set of training samples after the last step, as a ratio to the
baseline's. Then the unchanged run and the leading fix run again from ``seed + 1``: a fix wins when it
beats the unchanged run by more than the noise from both seeds (see :mod:`archwise.train.verify_result`).
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ArchwiseError
from ..spec import parse_budget
from ._fixes import FIXERS, Fix, fixes_of, parse_fixes
from ._trial import Data, Plan, TrainSetup, check_setup, measure, rng_kept, seeded, train
from .diagnosis import Diagnosis, fmt
from .verify_result import MEASURE, FixTrial, TrialStatus, VerifyResult

__all__ = ["verify_fixes", "TrainSetup", "Fix", "FixTrial", "TrialStatus", "VerifyResult", "MEASURE", "parse_fixes"]


# ---- choosing the fixes -------------------------------------------------------------------------

def _candidates(diagnoses: Sequence[Diagnosis], fixes: Any) -> tuple[list[tuple[Fix, tuple[str, ...]]],
                                                                     list[tuple[str, str]]]:
    """The fixes to try, each with the problems that prescribed it, in the diagnoses' order; and the
    prescriptions that are not a setting."""
    named: dict[Fix, list[str]] = {}
    unverifiable: list[tuple[str, str]] = []
    for d in diagnoses:
        if not isinstance(d, Diagnosis):
            raise ArchwiseError(f"diagnoses holds a {type(d).__name__}; expected archwise.Diagnosis objects, as "
                                "archwise.diagnose(record) or Monitor.diagnose() return them")
        for p in d.prescriptions:
            found = fixes_of(p.action)
            for fix in found:
                named.setdefault(fix, [])
                if d.problem not in named[fix]:
                    named[fix].append(d.problem)
            if not found and (p.action, d.problem) not in unverifiable:
                unverifiable.append((p.action, d.problem))
    order = parse_fixes(fixes) if fixes is not None else list(named)
    return [(f, tuple(named.get(f, ()))) for f in order], unverifiable


# ---- running ------------------------------------------------------------------------------------

@dataclass
class _Probe:
    """What the baseline's fresh objects say before training: why each fix does not apply (or None), and
    how many samples the loss is measured on."""

    checks: dict[Fix, str | None]
    samples: int = 0


class _Fresh:
    """The user's ``setup``, called after seeding; its result checked, and checked to be new objects."""

    def __init__(self, setup: Callable[[int], Any]) -> None:
        self.setup = setup
        self.last: weakref.ref | None = None  # the last trial's model, while it lives

    def __call__(self, seed: int) -> TrainSetup:
        seeded(seed)
        try:
            built = self.setup(seed)
        except Exception as err:
            raise ArchwiseError(f"setup({seed}) raised {_line(err)}") from err
        made = check_setup(built, seed)
        if self.last is not None and self.last() is made.model:
            raise ArchwiseError(f"setup({seed}) returned the model object it returned before; it must build a new "
                                "model (and optimizer) on every call, or each trial starts from the last one's "
                                "trained weights")
        self.last = weakref.ref(made.model)
        return made


def _line(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _trial(fresh: _Fresh, seed: int, fix: Fix | None, steps: int, deadline: float,
           problems: tuple[str, ...] = (), probe: _Probe | None = None) -> FixTrial:
    """Build, fix, train, measure. With ``probe`` (the baseline), each fix's check runs on the fresh
    objects first, and the answers are written into it."""
    start = time.perf_counter()
    made = fresh(seed)
    data = Data(made, seed)
    if probe is not None:
        probe.checks = {f: FIXERS[f].check(made, data) for f in probe.checks}
        probe.samples = data.samples
    plan = Plan(_describe(made)) if fix is None else Plan(fix.value)
    try:
        if fix is not None:
            plan = FIXERS[fix].apply(made, data)
        seeded(seed)  # the same dropout masks and batch order in every trial, whatever the fix drew
        status, done, note = train(made, data, plan, steps, deadline)
        loss = measure(made, data, plan) if status == "ok" else None
    except ArchwiseError:
        raise
    except Exception as err:  # a fix that breaks the user's model ranks last; the unchanged run's failure is bad input
        if fix is None:
            raise ArchwiseError(f"training the unchanged run failed: {_line(err)}; check that setup(seed)'s "
                                "loss_fn(model(x), y) runs on one batch of its data") from err
        status, done, note, loss = "failed", 0, _line(err), None
    if loss is not None and not math.isfinite(loss):
        status, note, loss = "non_finite", f"the measured loss is {loss}", None
    return FixTrial(fix.value if fix else "baseline", plan.setting, TrialStatus(status), loss, None,
                    time.perf_counter() - start, done, seed, problems, note)


def _describe(made: TrainSetup) -> str:
    group = made.optimizer.param_groups[0]
    decay = float(group.get("weight_decay", 0) or 0)
    return f"{type(made.optimizer).__name__} lr {fmt(float(group['lr']))}" + (f", weight_decay {fmt(decay)}"
                                                                            if decay else "")


_ORDER = {TrialStatus.OK: 0, TrialStatus.NON_FINITE: 1, TrialStatus.FAILED: 2, TrialStatus.OVER_BUDGET: 3,
          TrialStatus.SKIPPED: 4, TrialStatus.NOT_APPLICABLE: 5}


def _ranked(base: FixTrial, trials: list[FixTrial]) -> list[FixTrial]:
    """Finished fixes by loss, then non-finite, failed, stopped, skipped and not applicable ones."""
    return sorted((t.with_ratio(base) for t in trials),
                  key=lambda t: (_ORDER[t.status], t.loss if t.loss is not None else 0.0))


def verify_fixes(setup: Callable[[int], Any], diagnoses: Sequence[Diagnosis] = (), *, steps: int = 500,
                 seed: int = 0, budget: float | str = 60.0, fixes: str | Sequence[str] | None = None,
                 min_gain: float = 0.02, on_trial: Callable[[FixTrial], None] | None = None) -> VerifyResult:
    """Re-run training with each fix the diagnoses prescribe that is a setting; rank them by the loss.

    Args:
        setup: ``setup(seed)`` builds and returns a fresh :class:`TrainSetup` (or a dict with its
            fields): model, optimizer, loss_fn, data as (x, y) tensors or an iterable of (x, y)
            batches, and batch_size. It is called once per trial, after torch, ``random`` and NumPy
            are seeded with ``seed``; archwise trains the objects it returns and no others.
        diagnoses: what :func:`archwise.diagnose` (or ``Monitor.diagnose()``) found; their
            prescriptions choose the fixes (see :mod:`archwise.train._fixes` for what each sets);
            those that are not a setting are listed in the result's ``unverifiable``.
        steps: optimizer steps per trial.
        seed: the seed of every trial; the unchanged run and the leading fix run again from ``seed + 1``.
        budget: seconds (or ``"90s"``, ``"2m"``) for all trials: a trial whose predicted time (the
            unchanged run's, then the slowest fix's) does not fit what is left is skipped, and one
            still running at the budget is stopped.
        fixes: fix names to try instead of the prescribed ones (``"all"`` for every fix; see :class:`Fix`).
        min_gain: a winner's loss is at least this much lower than the unchanged run's (relative), and
            lower by more than the unchanged run's seed-to-seed spread, from both seeds.
        on_trial: called with each :class:`FixTrial` as it finishes (a progress display).

    Returns:
        A :class:`VerifyResult`: the trials ranked, ``best``, ``verdict``, ``to_dict()``; it renders
        itself with rich.

    Example:
        >>> import torch, archwise
        >>> def setup(seed):
        ...     x = torch.linspace(-1, 1, 64)[:, None]
        ...     model = torch.nn.Linear(1, 1)
        ...     return archwise.TrainSetup(model, torch.optim.SGD(model.parameters(), lr=1e-3),
        ...                                torch.nn.MSELoss(), (x, 3 * x), batch_size=16)
        >>> result = archwise.verify_fixes(setup, fixes=["raise_learning_rate", "lower_learning_rate"], steps=50)
        >>> [t.action for t in result.trials], result.best.action, result.best.ratio < 0.9
        (['baseline', 'raise_learning_rate', 'lower_learning_rate'], 'raise_learning_rate', True)
    """
    if not callable(setup):
        raise ArchwiseError(f"setup is {type(setup).__name__}; expected a function setup(seed) that returns "
                            "archwise.TrainSetup(model, optimizer, loss_fn, data)")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ArchwiseError(f"steps must be a positive whole number; found {steps!r}")
    if not 0 <= min_gain < 1:
        raise ArchwiseError(f"min_gain must be in [0, 1); found {min_gain!r}")
    seconds = parse_budget(budget, "budget")
    chosen, unverifiable = _candidates(list(diagnoses), fixes)
    start = time.perf_counter()
    deadline = start + seconds
    report = on_trial or (lambda trial: None)
    fresh = _Fresh(setup)

    def need(done: list[FixTrial]) -> float:
        """A trial's predicted time: the unchanged run's, or once fixes ran in full the slowest of them (the
        first trial's time holds the first call's warm-up)."""
        full = [t.seconds for t in done if t.status is TrialStatus.OK and t.action != "baseline"]
        return max(full) if full else base.seconds

    def fits(done: list[FixTrial]) -> bool:
        return need(done) <= deadline - time.perf_counter()

    def again(fix: Fix | None, problems: tuple[str, ...] = (), base2: FixTrial | None = None) -> FixTrial:
        trial = _trial(fresh, seed + 1, fix, steps, deadline, problems)
        trial = trial.with_ratio(base2) if base2 is not None else trial
        report(trial)
        return trial

    with rng_kept():
        probe = _Probe({fix: None for fix, _ in chosen})
        base = _trial(fresh, seed, None, steps, deadline, probe=probe)
        report(base)
        trials: list[FixTrial] = []
        finished = base.status in (TrialStatus.OK, TrialStatus.NON_FINITE)
        for fix, problems in chosen:
            left = deadline - time.perf_counter()
            if probe.checks[fix] is not None:
                trials.append(FixTrial(fix.value, "", TrialStatus.NOT_APPLICABLE, seed=seed, prescribed_by=problems,
                                       note=probe.checks[fix]))
            elif not finished or need(trials) > left:
                why = ("the unchanged run did not finish" if not finished else
                       f"needs about {need(trials):.2g} s, {max(left, 0):.2g} s of the budget left")
                trials.append(FixTrial(fix.value, "", TrialStatus.SKIPPED, seed=seed, prescribed_by=problems, note=why))
            else:
                trials.append(_trial(fresh, seed, fix, steps, deadline, problems))
            report(trials[-1])
        ranked = _ranked(base, trials)
        second: list[FixTrial] = []
        if base.status is TrialStatus.OK and fits(trials):
            second.append(again(None))
            partial = VerifyResult((base, *ranked), tuple(second), steps, seed, seconds, 0.0, probe.samples, min_gain)
            lead = partial.leader  # confirmed from the second seed only when it won from the first
            if lead is not None and lead.ratio is not None and lead.ratio < 1 - partial.cut and fits(trials):
                second.append(again(Fix(lead.action), lead.prescribed_by, second[0]))
    return VerifyResult((base, *ranked), tuple(second), steps, seed, seconds, time.perf_counter() - start,
                        probe.samples, min_gain, tuple(unverifiable))
