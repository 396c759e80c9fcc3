"""Every rule code archwise has ever used, in one table. Codes are never reused or renumbered;
a retired rule keeps its row with ``retired=True``.

The hundreds are the families: 1 inductive bias, 2 skip connections and gradient flow, 3 depth
and width, 4 capacity against data, 5 compute budgets, 6 architectural patterns, 7 training
readiness, 8 start simple and baselines.
"""

from __future__ import annotations

__all__ = ["CODES", "FAMILY_NAMES"]

FAMILY_NAMES = {
    "1": "inductive bias", "2": "skip connections and gradient flow", "3": "depth and width",
    "4": "capacity vs data", "5": "compute", "6": "patterns", "7": "training readiness", "8": "start simple",
}

# code: name (the problem it finds, never the fix)
CODES: dict[str, str] = {
    "AW101": "mlp-on-images",
    "AW102": "conv-on-tabular",
    "AW103": "rnn-on-long-sequence",
    "AW104": "full-attention-on-long-sequence",
    "AW105": "transformer-on-small-data",
    "AW106": "family-differs-from-decision-tree",
    "AW201": "plain-deep-network",
    "AW202": "post-norm-transformer",
    "AW203": "saturating-activations-in-depth",
    "AW204": "parameters-without-gradient",
    "AW301": "deep-and-narrow",
    "AW302": "shallow-and-wide",
    "AW303": "channels-not-growing",
    "AW304": "accidental-bottleneck",
    "AW401": "too-many-params-per-sample",
    "AW402": "too-few-params-per-sample",
    "AW501": "training-memory-over-device",
    "AW502": "latency-over-budget",
    "AW601": "dense-3x3-at-high-width",
    "AW602": "no-depthwise-for-mobile",
    "AW701": "deep-without-normalization",
    "AW702": "probabilities-into-logit-loss",
    "AW703": "dropout-before-batchnorm",
    "AW801": "skipped-simpler-baseline",
    "AW802": "complexity-without-gain",
}
