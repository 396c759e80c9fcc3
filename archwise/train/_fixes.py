"""The fixes :func:`archwise.verify_fixes` can try: prescriptions that are a setting, and how each is applied.

A fix is named by the prescription action it verifies (one vocabulary with :class:`Diagnosis`):

==============================  =======================================================================
``raise_learning_rate``         every parameter group's lr × 10
``lower_learning_rate``         every parameter group's lr × 0.1
``reduce_weight_decay``         every group's weight_decay ÷ 100
``clip_gradients``              ``clip_grad_norm_(params, 1.0)`` before each step
``check_initialization``        re-initialise the trainable weighted layers: He (``kaiming_normal_``) in a
                                ReLU-family net (Xavier for its last, output layer), Xavier
                                (``xavier_uniform_``) in a sigmoid/tanh one;
                                recurrent layers Xavier input weights, orthogonal ``weight_hh`` per gate;
                                biases 0, norm layers reset
``normalize_inputs``            inputs standardised with the training data's mean and std (per feature;
                                per channel for images)
``standardize_targets``         regression targets standardised; outputs scaled back before measuring
``increase_trainable_capacity`` every parameter trainable and in the optimizer (a new group with the
                                optimizer's defaults)
==============================  =======================================================================

``check_learning_rate`` tries both learning-rate fixes and ``reduce_regularization`` the weight decay
one. Each fix has a check (why it does not apply to this setup, or ``None``), run on the unchanged
run's fresh objects, and an apply that changes a trial's fresh objects and returns its :class:`Plan`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

import torch
from torch import nn

from ..errors import ArchwiseError, did_you_mean
from .diagnosis import fmt
from .monitor import RELU_FAMILY, SATURATING
from ._trial import Data, Plan, TrainSetup

__all__ = ["Fix", "ALIASES", "FIXERS", "parse_fixes"]

LR_FACTOR = 10.0    # raise × this, lower ÷ this
DECAY_FACTOR = 100.0
CLIP_NORM = 1.0


class Fix(str, Enum):
    """A prescription that is a setting, by its action name."""

    RAISE_LEARNING_RATE = "raise_learning_rate"
    LOWER_LEARNING_RATE = "lower_learning_rate"
    REDUCE_WEIGHT_DECAY = "reduce_weight_decay"
    CLIP_GRADIENTS = "clip_gradients"
    CHECK_INITIALIZATION = "check_initialization"
    NORMALIZE_INPUTS = "normalize_inputs"
    STANDARDIZE_TARGETS = "standardize_targets"
    INCREASE_TRAINABLE_CAPACITY = "increase_trainable_capacity"


# prescription actions that name more than one fix, or a fix by another word
ALIASES: dict[str, tuple[Fix, ...]] = {
    "check_learning_rate": (Fix.RAISE_LEARNING_RATE, Fix.LOWER_LEARNING_RATE),
    "reduce_regularization": (Fix.REDUCE_WEIGHT_DECAY,),
}


def fixes_of(action: str) -> tuple[Fix, ...]:
    """The fixes a prescription action names (empty when it is not a setting)."""
    if action in ALIASES:
        return ALIASES[action]
    return (Fix(action),) if action in Fix._value2member_map_ else ()


def parse_fixes(names: str | Sequence[str | Fix]) -> list[Fix]:
    """Fix names (or ``"all"``) as :class:`Fix` members, aliases expanded, in order, each once.

    Example:
        >>> [f.value for f in parse_fixes(["check_learning_rate", "clip_gradients"])]
        ['raise_learning_rate', 'lower_learning_rate', 'clip_gradients']
    """
    if isinstance(names, (str, Fix)):
        names = [names]
    out: list[Fix] = []
    for name in names:
        word = name.value if isinstance(name, Fix) else str(name).strip().lower()
        found = tuple(Fix) if word == "all" else fixes_of(word)
        if not found:
            known = [f.value for f in Fix] + list(ALIASES)
            raise ArchwiseError(f"unknown fix '{name}'{did_you_mean(str(name), known)}; known: {', '.join(known)} "
                                "(or 'all')")
        out += [f for f in found if f not in out]
    return out


# ---- learning rate, weight decay, clipping ------------------------------------------------------

def _lrs(values: list[float]) -> str:
    distinct = sorted({float(v) for v in values})
    return fmt(distinct[0]) if len(distinct) == 1 else f"{fmt(distinct[0])}–{fmt(distinct[-1])}"


def _scale_lr(factor: float) -> Callable[[TrainSetup, Data], Plan]:
    def apply(setup: TrainSetup, data: Data) -> Plan:
        groups = setup.optimizer.param_groups
        before = [g["lr"] for g in groups]
        for g in groups:
            g["lr"] = g["lr"] * factor
        return Plan(f"lr {_lrs(before)} → {_lrs([g['lr'] for g in groups])}")
    return apply


def _decay_check(setup: TrainSetup, data: Data) -> str | None:
    if not any(float(g.get("weight_decay", 0) or 0) > 0 for g in setup.optimizer.param_groups):
        return "the optimizer has no weight decay"
    return None


def _reduce_decay(setup: TrainSetup, data: Data) -> Plan:
    groups = setup.optimizer.param_groups
    before = max(float(g.get("weight_decay", 0) or 0) for g in groups)
    for g in groups:
        g["weight_decay"] = float(g.get("weight_decay", 0) or 0) / DECAY_FACTOR
    return Plan(f"weight_decay {fmt(before)} → {fmt(before / DECAY_FACTOR)}")


def _clip(setup: TrainSetup, data: Data) -> Plan:
    return Plan(f"clip the gradient norm at {CLIP_NORM:g}", clip=CLIP_NORM)


# ---- initialisation -----------------------------------------------------------------------------

_HE_ALSO = (nn.GELU, nn.SiLU, nn.Mish, nn.Softplus)
_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm1d,
          nn.InstanceNorm2d, nn.InstanceNorm3d)


def _saturating(model: nn.Module, data: Data) -> bool:
    """Whether the net's activations are mostly sigmoid/tanh: its activation modules, or, when it has none,
    the functional activations one forward on a measured batch calls."""
    sat = sum(isinstance(m, SATURATING) for m in model.modules())
    relu = sum(isinstance(m, RELU_FAMILY + _HE_ALSO) for m in model.modules())
    if sat or relu:
        return sat > relu
    from ._functional import ActivationSpy

    kinds: list[str] = []
    was = model.training
    model.eval()
    with torch.no_grad(), ActivationSpy(lambda name, kind, x: kinds.append(kind), lambda: False):
        x = data.head[0][0][:8]
        model(x.to(next((p.device for p in model.parameters()), x.device)))
    model.train(was)
    return kinds.count("saturating") > kinds.count("relu")


def _trainable(module: nn.Module) -> bool:
    own = list(module.parameters(recurse=False))
    return bool(own) and all(p.requires_grad for p in own)


def _init_check(setup: TrainSetup, data: Data) -> str | None:
    if not any(_trainable(m) and isinstance(m, _WEIGHTED + (nn.RNNBase,)) for m in setup.model.modules()):
        return "no trainable Linear, convolution or recurrent layer to re-initialise"
    return None


def _reinit(setup: TrainSetup, data: Data) -> Plan:
    xavier = _saturating(setup.model, data)
    weighted = [m for m in setup.model.modules() if isinstance(m, _WEIGHTED)]
    output = weighted[-1] if weighted else None  # the last one registered: no ReLU after it, so Xavier's scale
    counts: dict[str, int] = {}
    with torch.no_grad():
        for m in setup.model.modules():
            if not _trainable(m):
                continue
            if isinstance(m, _WEIGHTED):
                if xavier or m is output:
                    nn.init.xavier_uniform_(m.weight)
                else:
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.RNNBase):
                for name, p in m.named_parameters():
                    if name.startswith("weight_ih"):
                        nn.init.xavier_uniform_(p)
                    elif name.startswith("weight_hh"):
                        for gate in p.split(m.hidden_size):  # one square block per gate
                            nn.init.orthogonal_(gate)
                    elif name.startswith("bias"):
                        nn.init.zeros_(p)
            elif isinstance(m, _NORMS) and hasattr(m, "reset_parameters"):
                m.reset_parameters()
            else:
                continue
            counts[type(m).__name__] = counts.get(type(m).__name__, 0) + 1
    what = ", ".join(f"{n} {name}" for name, n in counts.items())
    scheme = "Xavier (a sigmoid/tanh net)" if xavier else "He, Xavier for the output (a ReLU net)"
    rnn = ", weight_hh orthogonal" if any(isinstance(m, nn.RNNBase) for m in setup.model.modules()) else ""
    return Plan(f"{scheme}{rnn}, biases 0: {what}")


# ---- data scale ---------------------------------------------------------------------------------

def _feature_dims(x: torch.Tensor) -> tuple[int, ...]:
    """Dims to average over: all but the channel for images (4-D and up), the batch dim otherwise."""
    return (0, *range(2, x.ndim)) if x.ndim >= 4 else (0,)


def _stats(t: torch.Tensor, dims: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    t = t.detach().double()
    mean, std = t.mean(dims, keepdim=True), t.std(dims, keepdim=True)
    std = torch.where(std > 0, std, torch.ones_like(std))  # a constant feature keeps scale 1 (as StandardScaler)
    return mean[0].float(), std[0].float()


def _standardised(t: torch.Tensor, dims: tuple[int, ...]) -> bool:
    """Already near unit scale: every feature's mean within 0.5 of 0 and std at most 2, the median std at least
    0.5 (data standardised on a larger split, or with a few constant features, counts)."""
    mean, std = _stats(t, dims)
    return bool(mean.abs().max() <= 0.5 and std.max() <= 2 and std.flatten().median() >= 0.5)


def _inputs_check(setup: TrainSetup, data: Data) -> str | None:
    x = data.x
    if not x.is_floating_point():
        return f"the inputs are {str(x.dtype).removeprefix('torch.')} (ids or categories), not measurements"
    if x.ndim < 2:
        return "the inputs have no feature dimension"
    if _standardised(x, _feature_dims(x)):
        return "the inputs are already standardised"
    return None


def _standardise_inputs(setup: TrainSetup, data: Data) -> Plan:
    x = data.x
    plan = Plan(x_stats=_stats(x, _feature_dims(x)))
    per = "channel" if x.ndim >= 4 else "feature"
    plan.setting = (f"standardise the inputs per {per} (they have mean {fmt(float(x.double().mean()))}, "
                    f"std {fmt(float(x.double().std()))})")
    return plan


_CLASSIFY = (nn.CrossEntropyLoss, nn.NLLLoss, nn.BCELoss, nn.BCEWithLogitsLoss, nn.MultiLabelSoftMarginLoss,
             nn.MultiMarginLoss, nn.KLDivLoss)


def _targets_check(setup: TrainSetup, data: Data) -> str | None:
    y = data.y
    if isinstance(setup.loss_fn, _CLASSIFY):
        return f"{type(setup.loss_fn).__name__} takes labels or probabilities, not measurements"
    if not y.is_floating_point():
        return f"the targets are {str(y.dtype).removeprefix('torch.')} labels"
    if bool(((y == 0) | (y == 1)).all()):
        return "the targets are 0/1 labels"
    if _standardised(y if y.ndim > 1 else y[:, None], (0,)):
        return "the targets are already standardised"
    return None


def _standardise_targets(setup: TrainSetup, data: Data) -> Plan:
    y = data.y
    plan = Plan(y_stats=_stats(y, (0,)))
    plan.setting = (f"standardise the targets (they have mean {fmt(float(y.double().mean()))}, std "
                    f"{fmt(float(y.double().std()))}); outputs scaled back to measure")
    return plan


# ---- frozen parameters --------------------------------------------------------------------------

def _left_out(setup: TrainSetup) -> list[nn.Parameter]:
    held = {id(p) for g in setup.optimizer.param_groups for p in g["params"]}
    return [p for p in setup.model.parameters() if not p.requires_grad or id(p) not in held]


def _unfreeze_check(setup: TrainSetup, data: Data) -> str | None:
    return None if _left_out(setup) else "every parameter already trains"


def _unfreeze(setup: TrainSetup, data: Data) -> Plan:
    frozen = _left_out(setup)
    held = {id(p) for g in setup.optimizer.param_groups for p in g["params"]}
    for p in frozen:
        p.requires_grad_(True)
    new = [p for p in frozen if id(p) not in held]
    if new:
        setup.optimizer.add_param_group({"params": new})  # the optimizer's defaults: its lr, betas, decay
    n = sum(p.numel() for p in frozen)
    return Plan(f"unfreeze {n:,} parameters ({len(frozen)} tensors) into the optimizer")


@dataclass(frozen=True)
class Fixer:
    check: Callable[[TrainSetup, Data], str | None]   # why the fix does not apply here, or None
    apply: Callable[[TrainSetup, Data], Plan]         # change the trial's fresh objects; the loop's part


def _always(setup: TrainSetup, data: Data) -> None:
    return None


FIXERS: dict[Fix, Fixer] = {
    Fix.RAISE_LEARNING_RATE: Fixer(_always, _scale_lr(LR_FACTOR)),
    Fix.LOWER_LEARNING_RATE: Fixer(_always, _scale_lr(1 / LR_FACTOR)),
    Fix.REDUCE_WEIGHT_DECAY: Fixer(_decay_check, _reduce_decay),
    Fix.CLIP_GRADIENTS: Fixer(_always, _clip),
    Fix.CHECK_INITIALIZATION: Fixer(_init_check, _reinit),
    Fix.NORMALIZE_INPUTS: Fixer(_inputs_check, _standardise_inputs),
    Fix.STANDARDIZE_TARGETS: Fixer(_targets_check, _standardise_targets),
    Fix.INCREASE_TRAINABLE_CAPACITY: Fixer(_unfreeze_check, _unfreeze),
}
