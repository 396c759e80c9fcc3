"""Prescriptions shared by several detectors, made concrete from what the record says of the model."""

from __future__ import annotations

import math

from ..diagnosis import Prescription, Severity, fmt
from ..record import TrainingRecord
from ._signals import NORM_TYPES, Signals

__all__ = ["check_initialization", "lower_learning_rate", "clip_gradients", "normalize_inputs", "add_normalization",
           "weighted_depth", "uses_saturating", "layer_scheme", "init_gaps", "far_off_init", "first_layer_hit",
           "by_evidence", "unit_severity", "frozen_words"]


def weighted_depth(record: TrainingRecord) -> int:
    return sum(layer.type not in NORM_TYPES for layer in record.layers)


RECURRENT_TYPES = {"RNN", "LSTM", "GRU"}
HH_HIGH, HH_LOW = 2.0, 0.5  # a weight_hh that stretches (or shrinks) the hidden state this much a step


def uses_saturating(record: TrainingRecord) -> bool:
    return any(a.kind == "saturating" for a in record.activations)


def layer_scheme(record: TrainingRecord, index: int) -> str:
    """The usual initialisation for ``record.layers[index]``, by the activation it feeds: ``"recurrent"``
    (Xavier on the input weights, orthogonal on ``weight_hh``) for RNN/LSTM/GRU, ``"xavier"`` for a layer
    feeding sigmoid/tanh, ``"he"`` for one feeding the ReLU family (through any normalization layers
    between them); a layer feeding no activation (an output) follows the model's activations."""
    layers = record.layers
    if layers[index].type in RECURRENT_TYPES:
        return "recurrent"
    kinds = {}
    for a in record.activations:
        kinds.setdefault(a.after, a.kind)
    j = index
    while j < len(layers) and (j == index or layers[j].type in NORM_TYPES):
        if layers[j].name in kinds:
            return "xavier" if kinds[layers[j].name] == "saturating" else "he"
        j += 1
    return "xavier" if uses_saturating(record) else "he"


def _ideal_std(scheme: str, fan_in: int, fan_out: int) -> float:
    return math.sqrt(2.0 / fan_in) if scheme == "he" else math.sqrt(2.0 / (fan_in + fan_out))


def _std_against_scheme(record: TrainingRecord, index: int) -> tuple[str, float, float] | None:
    """``(scheme, ideal std, starting std / ideal)`` for a weighted layer whose starting std is known."""
    layer = record.layers[index]
    if layer.type in NORM_TYPES or layer.weight_std is None or not layer.fan_in or not layer.fan_out:
        return None
    scheme = layer_scheme(record, index)
    ideal = _ideal_std(scheme, layer.fan_in, layer.fan_out)
    return scheme, ideal, layer.weight_std / ideal


def _init_gaps(record: TrainingRecord) -> list[str]:
    """Layers whose starting weights are far from the usual initialisation for the activation they feed:
    a weight std off by more than 3× from He's or Xavier's, or a recurrent ``weight_hh`` whose largest
    singular value is above 2 or below 0.5 (orthogonal: 1), which compounds over every time step."""
    notes = []
    for i, layer in enumerate(record.layers):
        if layer.type in NORM_TYPES:
            continue
        found = _std_against_scheme(record, i)
        if found is not None and not 1 / 3 <= found[2] <= 3:
            scheme, ideal, _ = found
            which = f"{layer.name}.weight_ih_l0" if scheme == "recurrent" else layer.name
            notes.append(f"{which} started with weight std {fmt(layer.weight_std)} against "
                         f"{'He' if scheme == 'he' else 'Xavier'}'s {fmt(ideal)}")
        gain = layer.hh_gain
        if gain is not None and (gain > HH_HIGH or gain < HH_LOW):
            effect = "saturating the gates within a few steps" if gain > HH_HIGH else "fading within a few steps"
            notes.append(f"{layer.name}.weight_hh stretches the hidden state up to {fmt(gain)}× per step ({effect}; "
                         "an orthogonal init keeps it at 1)")
    return notes


def far_off_init(record: TrainingRecord, names: set) -> str | None:
    """Words for the first of the layers ``names`` whose init is far off its scheme (std more than 5×
    off He's or Xavier's, or a ``weight_hh`` stretching the hidden state over 4× a step), else None: direct
    evidence of why the units they feed are dead or saturated."""
    for i, layer in enumerate(record.layers):
        if layer.name not in names or layer.type in NORM_TYPES:
            continue
        if layer.hh_gain is not None and layer.hh_gain > 2 * HH_HIGH:
            return f"{layer.name}.weight_hh stretches the hidden state {fmt(layer.hh_gain)}× a step"
        found = _std_against_scheme(record, i)
        if found is not None and layer.weight_std and not 1 / 5 <= found[2] <= 5:
            return f"{layer.name} started with weight std {fmt(layer.weight_std)}, {fmt(found[2])}× its usual init's"
    return None


def _bias_gaps(record: TrainingRecord) -> list[str]:
    return [f"{layer.name}.bias started at mean {fmt(layer.bias_mean)}" for layer in record.layers
            if layer.bias_mean is not None and abs(layer.bias_mean) >= 0.5 and layer.type not in NORM_TYPES
            and layer.type not in RECURRENT_TYPES]  # an LSTM's forget-gate bias at 1 is a known good start


def init_gaps(record: TrainingRecord) -> list[str]:
    """What is off in the starting weights and biases (empty when they look like the usual init)."""
    return _bias_gaps(record) + _init_gaps(record)


_SCHEME_WORDS = {"he": "He (nn.init.kaiming_normal_, nonlinearity='relu')",
                 "xavier": "Xavier (nn.init.xavier_uniform_)",
                 "recurrent": "Xavier on weight_ih and orthogonal (nn.init.orthogonal_, per gate block) on weight_hh"}


def _schemes(record: TrainingRecord) -> str:
    """Which init goes where, by the activation each weighted layer feeds (e.g. "He (…) for 0, 2; Xavier
    on weight_ih and orthogonal … on weight_hh for rnn")."""
    groups: dict[str, list[str]] = {}
    for i, layer in enumerate(record.layers):
        if layer.type not in NORM_TYPES and (layer.fan_in or layer.hh_gain is not None):
            groups.setdefault(layer_scheme(record, i), []).append(layer.name)
    if not groups:
        return (_SCHEME_WORDS["xavier"] + " for the sigmoid/tanh layers") if uses_saturating(record) \
            else _SCHEME_WORDS["he"]
    if len(groups) == 1:
        scheme = next(iter(groups))
        where = {"he": "", "xavier": " for the sigmoid/tanh layers", "recurrent": " for the recurrent layers"}
        return _SCHEME_WORDS[scheme] + where[scheme]

    def names(found: list[str]) -> str:
        return ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
    return "; ".join(f"{_SCHEME_WORDS[k]} for {names(v)}" for k, v in groups.items())


def check_initialization(record: TrainingRecord, focus: str = "") -> Prescription:
    scheme = _schemes(record)
    found = _bias_gaps(record) + _init_gaps(record)
    detail = "; ".join(found[:3]) + (f" (and {len(found) - 3} more)" if len(found) > 3 else "")
    if found:
        text = f"check initialization: {detail}; initialise weights with {scheme} and biases at 0"
    else:
        text = f"check initialization: use {scheme}; the starting weights are within 3× of it{focus}"
    return Prescription("check_initialization", text)


def lower_learning_rate(signals: Signals, why: str = "") -> Prescription:
    lr = signals.lr()
    if lr:
        text = f"lower the learning rate: it is {fmt(lr)}; try {fmt(lr / 10)}{why}"
    else:
        text = f"lower the learning rate (try a tenth of it){why}"
    return Prescription("lower_learning_rate", text)


def clip_gradients(signals: Signals) -> Prescription:
    clipped = signals.record.meta.get("max_grad_norm")
    if clipped:
        return Prescription("clip_gradients", f"gradients are already clipped at max_norm={fmt(clipped)} (the norms "
                            "recorded are after clipping); lower max_norm, or set it to 0 to record the raw norms")
    norms = []
    for s in signals.samples[:5]:
        if s.grad_norm:
            values = [g for g in s.grad_norm if g is not None and math.isfinite(g)]
            if values:
                norms.append(math.sqrt(sum(g * g for g in values)))
    hint = f"max_norm≈{fmt(sorted(norms)[len(norms) // 2])} (the early median)" if norms else "max_norm=1.0"
    return Prescription("clip_gradients", "clip gradients: torch.nn.utils.clip_grad_norm_(model.parameters(), "
                        f"{hint}) between backward() and step()")


def normalize_inputs(signals: Signals | None = None) -> Prescription:
    scale = signals.input_scale() if signals is not None else None
    seen = (f": the first batch has std {fmt(scale[0])} and values up to {fmt(scale[1])}, where standardised data "
            "sits near 1" if scale is not None and signals.inputs_unscaled() else "")
    return Prescription("normalize_inputs", "check data preprocessing: standardise the inputs (zero mean, unit "
                        f"variance per feature or channel, with the training split's statistics){seen}")


def first_layer_hit(record: TrainingRecord, names: list[str]) -> bool:
    """Whether the first activation module of the model is among ``names`` (the one the inputs feed)."""
    return bool(record.activations) and record.activations[0].name in names


def frozen_words(record: TrainingRecord) -> str | None:
    """Words for a model whose trainable part is under a tenth of it (a frozen backbone), else None."""
    params, trainable = record.meta.get("params"), record.meta.get("trainable_params")
    if not params or trainable is None or trainable >= 0.1 * params:
        return None
    return (f"give the model more trainable capacity: only {trainable:,} of its {params:,} parameters "
            f"({100 * trainable / params:.1f}%) are trainable; unfreeze the last blocks, or widen the trainable head")


def unit_severity(record: TrainingRecord, sig: Signals, hits: list, severe_at: float,
                  severe_words: str) -> tuple[Severity, str, bool]:
    """Severity and its words for a dead-units or saturation finding (``hits``: (activation, fraction)),
    and whether unscaled inputs feed the first hit layer. The gate applies, except that a layer hit
    at ``severe_at`` or more, or unscaled inputs saturating/killing the first layer, warn whatever
    the loss did (direct evidence of a cause)."""
    severity, gate = sig.gate()
    severe = [a.name for a, f in hits if f >= severe_at]
    if severe and severity != Severity.WARNING:
        severity, gate = Severity.WARNING, f"; {', '.join(severe)} {severe_words}"
    far = far_off_init(record, {a.after for a, _ in hits})
    if far and severity != Severity.WARNING:
        severity, gate = Severity.WARNING, f"; {far}, a cause the falling loss does not undo"
    unscaled = sig.inputs_unscaled() and first_layer_hit(record, [a.name for a, _ in hits])
    if unscaled:
        std, top = sig.input_scale()
        severity, gate = Severity.WARNING, (f"; the first layer is fed unscaled inputs (std {fmt(std)}, values up to "
                                            f"{fmt(top)})")
    return severity, gate, unscaled


def by_evidence(evidenced: list[tuple[bool, Prescription]], rest: list[Prescription]) -> tuple[Prescription, ...]:
    """The remedies whose evidence holds in this run first (in the order given), then the seed's
    default order (``rest``), each action once: a remedy the numbers point at goes first.

    Example:
        >>> a, b, c = (Prescription(x, x) for x in "abc")
        >>> [p.action for p in by_evidence([(False, a), (True, c)], [a, b, c])]
        ['c', 'a', 'b']
    """
    out: list[Prescription] = []
    for p in [p for held, p in evidenced if held] + rest:
        if p.action not in {q.action for q in out}:
            out.append(p)
    return tuple(out)


def add_normalization(record: TrainingRecord) -> Prescription:
    have = record.meta.get("norm_layers") or 0
    where = "the model has none" if not have else f"the model has {have}"
    return Prescription("add_normalization", f"add normalization layers (BatchNorm for CNNs, LayerNorm for sequences) "
                        f"before the activations; {where}")
