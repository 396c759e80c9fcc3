"""Prescriptions shared by several detectors, made concrete from what the record says of the model."""

from __future__ import annotations

import math

from ..diagnosis import Prescription, Severity, fmt
from ..record import TrainingRecord
from ._signals import NORM_TYPES, Signals

__all__ = ["check_initialization", "lower_learning_rate", "clip_gradients", "normalize_inputs", "add_normalization",
           "weighted_depth", "uses_saturating", "init_gaps", "first_layer_hit", "by_evidence", "unit_severity",
           "frozen_words"]


def weighted_depth(record: TrainingRecord) -> int:
    return sum(layer.type not in NORM_TYPES for layer in record.layers)




def uses_saturating(record: TrainingRecord) -> bool:
    return any(a.kind == "saturating" for a in record.activations)


def _init_gaps(record: TrainingRecord) -> list[str]:
    """Layers whose starting weight std is far from the usual initialisation for their activation."""
    xavier = uses_saturating(record)
    notes = []
    for layer in record.layers:
        if layer.weight_std is None or not layer.fan_in or not layer.fan_out or layer.type in NORM_TYPES:
            continue
        ideal = math.sqrt(2.0 / (layer.fan_in + layer.fan_out)) if xavier else math.sqrt(2.0 / layer.fan_in)
        if layer.weight_std > 3 * ideal or layer.weight_std < ideal / 3:
            notes.append(f"{layer.name} started with weight std {fmt(layer.weight_std)} against "
                         f"{'Xavier' if xavier else 'He'}'s {fmt(ideal)}")
    return notes


def _bias_gaps(record: TrainingRecord) -> list[str]:
    return [f"{layer.name}.bias started at mean {fmt(layer.bias_mean)}" for layer in record.layers
            if layer.bias_mean is not None and abs(layer.bias_mean) >= 0.5 and layer.type not in NORM_TYPES]


def init_gaps(record: TrainingRecord) -> list[str]:
    """What is off in the starting weights and biases (empty when they look like the usual init)."""
    return _bias_gaps(record) + _init_gaps(record)


def check_initialization(record: TrainingRecord, focus: str = "") -> Prescription:
    xavier = uses_saturating(record)
    scheme = ("Xavier (nn.init.xavier_uniform_) for the sigmoid/tanh layers" if xavier
              else "He (nn.init.kaiming_normal_, nonlinearity='relu')")
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
