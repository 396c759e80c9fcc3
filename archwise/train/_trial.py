"""One trial of :func:`archwise.verify_fixes`: fresh objects from ``setup(seed)``, N optimizer steps, one measure.

A trial calls the user's ``setup(seed)`` after seeding torch, ``random`` and NumPy with ``seed``,
checks what it returned (:class:`TrainSetup` or a dict of the same fields), lets a fix change the
fresh objects (a :class:`Plan`), re-seeds (so dropout and the batch order are the same in every
trial), and trains a plain loop: batch → forward → loss → backward → (clip) → step. The measure is
the loss on a fixed set of training samples after the last step, in ``model.eval()`` and in the
targets' original units, the same way for every trial.
"""

from __future__ import annotations

import contextlib
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from typing import Any

import torch
from torch import nn

from ..errors import ArchwiseError, did_you_mean
from .verify_result import MEASURE_SAMPLES

__all__ = ["TrainSetup", "Data", "Plan", "check_setup", "seeded", "rng_kept", "train", "measure"]

_CHUNK = 512            # samples per forward when measuring tensors


@dataclass(frozen=True)
class TrainSetup:
    """What the user's ``setup(seed)`` returns: one training run's objects, built fresh on every call.

    Example:
        >>> import torch
        >>> model = torch.nn.Linear(4, 1)
        >>> s = TrainSetup(model, torch.optim.SGD(model.parameters(), lr=0.1), torch.nn.MSELoss(),
        ...                (torch.randn(32, 4), torch.randn(32, 1)), batch_size=8)
        >>> s.batch_size
        8
    """

    model: nn.Module          # a new model on every call (the same seed gives the same weights)
    optimizer: torch.optim.Optimizer  # over the model's parameters (only the trainable ones, if some are frozen)
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # loss_fn(model(x), y) -> a scalar, mean-reduced
    data: Any                 # (x, y) tensors, batched by archwise in a seeded order; or an iterable of (x, y)
                              # batches (a DataLoader), iterated again when it runs out
    batch_size: int = 64      # samples per step when data is (x, y) tensors


_FIELDS = [f.name for f in fields(TrainSetup)]
_CONTRACT = ("archwise.TrainSetup(model=..., optimizer=..., loss_fn=..., data=(x, y), batch_size=64) or a dict "
             "with those keys")


def check_setup(value: Any, seed: int) -> TrainSetup:
    """What ``setup(seed)`` returned, as a :class:`TrainSetup`; anything else fails with one line."""
    call = f"setup({seed})"
    if isinstance(value, dict):
        unknown = [k for k in value if k not in _FIELDS]
        if unknown:
            hint = did_you_mean(str(unknown[0]), _FIELDS)
            raise ArchwiseError(f"{call} returned a dict with key '{unknown[0]}'{hint}; expected {_CONTRACT}")
        missing = [k for k in _FIELDS[:4] if k not in value]
        if missing:
            raise ArchwiseError(f"{call} returned a dict without {', '.join(missing)}; expected {_CONTRACT}")
        value = TrainSetup(**value)
    if not isinstance(value, TrainSetup):
        raise ArchwiseError(f"{call} returned {type(value).__name__}; expected {_CONTRACT}")
    if not isinstance(value.model, nn.Module):
        raise ArchwiseError(f"{call}: model is {type(value.model).__name__}; expected a torch.nn.Module")
    if not isinstance(value.optimizer, torch.optim.Optimizer):
        raise ArchwiseError(f"{call}: optimizer is {type(value.optimizer).__name__}; expected a torch.optim.Optimizer "
                            "built over the model's parameters, such as torch.optim.Adam(model.parameters())")
    if not callable(value.loss_fn):
        raise ArchwiseError(f"{call}: loss_fn is {type(value.loss_fn).__name__}; expected a callable such as "
                            "torch.nn.CrossEntropyLoss()")
    own = {id(p) for p in value.model.parameters()}
    if not any(id(p) in own for g in value.optimizer.param_groups for p in g["params"]):
        raise ArchwiseError(f"{call}: the optimizer holds none of the model's parameters; build the optimizer over "
                            "this model's parameters, in setup, after the model")
    if not isinstance(value.batch_size, int) or isinstance(value.batch_size, bool) or value.batch_size < 1:
        raise ArchwiseError(f"{call}: batch_size is {value.batch_size!r}; expected a positive whole number")
    data = value.data
    if isinstance(data, (tuple, list)) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data):
        if not data[0].ndim or len(data[0]) != len(data[1]) or not len(data[0]):
            raise ArchwiseError(f"{call}: data is (x, y) with {_n(data[0])} and {_n(data[1])} samples; expected "
                                "two tensors with the same number of samples (at least one) along dim 0")
    elif isinstance(data, torch.Tensor) or not isinstance(data, Iterable):
        raise ArchwiseError(f"{call}: data is {type(data).__name__}; expected (x, y) tensors or an iterable of (x, y) "
                            "batches such as a DataLoader")
    return value


def _n(t: torch.Tensor) -> int:
    return len(t) if t.ndim else 0


# ---- seeds --------------------------------------------------------------------------------------

def seeded(seed: int) -> None:
    """Seed torch, ``random`` and NumPy (when installed): what a trial does before ``setup`` and before training."""
    torch.manual_seed(seed)
    random.seed(seed)
    with contextlib.suppress(ImportError):
        import numpy as np

        np.random.seed(seed % 2**32)


@contextlib.contextmanager
def rng_kept() -> Iterator[None]:
    """The caller's random states as they were, after the trials reseeded them."""
    state = torch.get_rng_state(), random.getstate()
    try:
        import numpy as np

        np_state = np.random.get_state()
    except ImportError:  # pragma: no cover - numpy comes with torch's usual installs
        np, np_state = None, None
    try:
        yield
    finally:
        torch.set_rng_state(state[0])
        random.setstate(state[1])
        if np is not None:
            np.random.set_state(np_state)


# ---- data ---------------------------------------------------------------------------------------

class Data:
    """One trial's training data: endless batches in a seeded order, and the fixed samples it is measured on.

    For (x, y) tensors, batches of ``batch_size`` in a new seeded permutation each epoch, and a seeded
    subset of up to :data:`MEASURE_SAMPLES` samples to measure. For an iterable, its batches as it
    yields them (a new ``iter()`` when it runs out); its first batches, up to :data:`MEASURE_SAMPLES`
    samples, are read ahead: they are the measured set and the statistics a standardising fix uses.
    """

    def __init__(self, setup: TrainSetup, seed: int) -> None:
        self.source, self.seed, self.batch_size = setup.data, seed, setup.batch_size
        self.tensors = isinstance(self.source, (tuple, list)) and len(self.source) == 2 and all(
            isinstance(t, torch.Tensor) for t in self.source)
        if self.tensors:
            x, y = self.source
            pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))[:MEASURE_SAMPLES]
            self.head = [(x[i], y[i]) for i in pick.split(_CHUNK)]
            self._iter: Iterator[Any] | None = None
        else:
            self._iter = iter(self.source)
            self.head, count = [], 0
            while count < MEASURE_SAMPLES and len(self.head) < 64:
                batch = self._next()
                if batch is None:
                    break
                self.head.append(batch)
                count += len(batch[0])
            if not self.head:
                raise ArchwiseError("setup(seed).data yielded no batch; expected (x, y) batches")
        self.samples = sum(len(x) for x, _ in self.head)

    @property
    def x(self) -> torch.Tensor:
        """Every input (tensors) or the read-ahead ones (an iterable): what input statistics are taken over."""
        return self.source[0] if self.tensors else torch.cat([x for x, _ in self.head])

    @property
    def y(self) -> torch.Tensor:
        return self.source[1] if self.tensors else torch.cat([y for _, y in self.head])

    def _next(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        batch = next(self._iter, None)
        if batch is None:
            return None
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2
                and all(isinstance(t, torch.Tensor) for t in batch)):
            raise ArchwiseError(f"setup(seed).data yielded a {type(batch).__name__}; expected (x, y) tensor pairs")
        return batch[0], batch[1]

    def batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if self.tensors:
            x, y = self.source
            g = torch.Generator().manual_seed(self.seed)
            while True:
                for idx in torch.randperm(len(x), generator=g).split(self.batch_size):
                    yield x[idx], y[idx]
        yield from self.head  # an iterable: the read-ahead batches first, then on
        while True:
            batch = self._next()
            if batch is None:
                again = iter(self.source)
                if again is self._iter:
                    raise ArchwiseError("setup(seed).data ran out of batches; pass a re-iterable (a DataLoader, a "
                                        "list of batches) or (x, y) tensors, or lower steps")
                self._iter = again
                continue
            yield batch


# ---- a fix, as the loop sees it -----------------------------------------------------------------

@dataclass
class Plan:
    """What a fix changes in the loop (its changes to the model and optimizer are already made)."""

    setting: str = "unchanged"
    clip: float | None = None                               # clip the gradient norm at this before each step
    x_stats: tuple[torch.Tensor, torch.Tensor] | None = None  # (mean, std): inputs are standardised with them
    y_stats: tuple[torch.Tensor, torch.Tensor] | None = None  # (mean, std): targets too; outputs scaled back to measure

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        if self.x_stats is None:
            return x
        mean, std = self.x_stats
        return (x - mean.to(x.device)) / std.to(x.device)

    def targets(self, y: torch.Tensor) -> torch.Tensor:
        if self.y_stats is None:
            return y
        mean, std = self.y_stats
        return (y - mean.to(y.device)) / std.to(y.device)

    def outputs(self, out: torch.Tensor) -> torch.Tensor:
        """A model output back in the targets' original units."""
        if self.y_stats is None:
            return out
        mean, std = self.y_stats
        return out * std.to(out.device) + mean.to(out.device)


# ---- training and measuring ---------------------------------------------------------------------

def _device(model: nn.Module) -> torch.device:
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def train(setup: TrainSetup, data: Data, plan: Plan, steps: int, deadline: float) -> tuple[str, int, str]:
    """``steps`` optimizer steps; ``(status, steps done, note)``: ok, non_finite (stops there) or over_budget
    (stopped at ``deadline``, a ``time.perf_counter()`` value)."""
    model, optimizer, loss_fn = setup.model, setup.optimizer, setup.loss_fn
    params = [p for g in optimizer.param_groups for p in g["params"]]
    device = _device(model)
    model.train()
    batches = data.batches()
    for step in range(1, steps + 1):
        x, y = next(batches)
        out = model(plan.inputs(x.to(device)))
        loss = loss_fn(out, plan.targets(y.to(device)))
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
            raise ArchwiseError(f"loss_fn returned {shape}; expected a scalar tensor (a mean-reduced loss such as "
                                "torch.nn.MSELoss())")
        value = float(loss.detach())
        if not math.isfinite(value):
            return "non_finite", step - 1, f"the loss was {value} at step {step}"
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if plan.clip is not None:
            torch.nn.utils.clip_grad_norm_(params, plan.clip)
        optimizer.step()
        if step < steps and time.perf_counter() > deadline:
            return "over_budget", step, f"stopped by the budget after {step} of {steps} steps"
    return "ok", steps, ""


def measure(setup: TrainSetup, data: Data, plan: Plan) -> float:
    """The mean loss over the measured samples, in ``eval()`` mode and the targets' original units."""
    model, device = setup.model, _device(setup.model)
    total, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for x, y in data.head:
            out = plan.outputs(model(plan.inputs(x.to(device))))
            total += float(setup.loss_fn(out, y.to(device))) * len(x)
            count += len(x)
    model.train()
    return total / count
