"""Fully connected models: a linear model, the multi-layer perceptron and highway layers.

- Linear / logistic regression as one ``nn.Linear``: the seed's first rung ("Linear baseline
  (ALWAYS start here!)").
- MLP: ``depth`` hidden layers of ``hidden`` units, ReLU, optional dropout; the seed's "small MLP
  (2–3 layers)" for 1,000–100,000 tabular samples and "larger MLP" beyond.
- Highway network (Srivastava et al., 2015, "Training Very Deep Networks"): each layer mixes a
  transform H(x) with its input through a learned gate T(x): y = T·H + (1 − T)·x, the
  skip-connection variant the seed lists beside the residual connection.
"""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class LinearConfig:
    in_features: int = 20  # features per sample
    num_outputs: int = 1  # classes (logits) or regression targets


class LinearModel(nn.Module):
    """y = W·x + b: logistic regression under a cross-entropy loss, linear regression under MSE."""

    def __init__(self, cfg: LinearConfig):
        super().__init__()
        self.cfg = cfg
        self.fc = nn.Linear(cfg.in_features, cfg.num_outputs)

    def forward(self, x):
        return self.fc(x)  # (B, F) → (B, outputs)


@dataclass
class MLPConfig:
    in_features: int = 20  # features per sample
    hidden: int = 128  # units in every hidden layer
    depth: int = 2  # hidden layers (the output layer is extra)
    num_outputs: int = 1  # classes (logits) or regression targets
    dropout: float = 0.0  # after every hidden activation


class MLP(nn.Module):
    def __init__(self, cfg: MLPConfig):
        super().__init__()
        assert cfg.depth >= 1, "an MLP needs at least one hidden layer (depth=0 is the linear model)"
        self.cfg = cfg
        layers = []
        width = cfg.in_features
        for _ in range(cfg.depth):
            layers += [nn.Linear(width, cfg.hidden), nn.ReLU()]
            if cfg.dropout > 0:
                layers.append(nn.Dropout(cfg.dropout))
            width = cfg.hidden
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, cfg.num_outputs)

    def forward(self, x):
        return self.head(self.body(x))  # (B, F) → (B, hidden) → (B, outputs)


@dataclass
class HighwayConfig:
    in_features: int = 20  # features per sample
    hidden: int = 128  # width of every highway layer
    depth: int = 10  # highway layers
    num_outputs: int = 1  # classes (logits) or regression targets
    gate_bias: float = -2.0  # initial gate bias: negative favours carrying the input (the paper's advice)


class HighwayLayer(nn.Module):
    """y = T(x)·H(x) + (1 − T(x))·x with H = ReLU(W_H x + b_H), T = σ(W_T x + b_T)."""

    def __init__(self, width: int, gate_bias: float):
        super().__init__()
        self.transform = nn.Linear(width, width)
        self.gate = nn.Linear(width, width)
        nn.init.constant_(self.gate.bias, gate_bias)

    def forward(self, x):
        t = torch.sigmoid(self.gate(x))  # (B, W)
        return t * F.relu(self.transform(x)) + (1 - t) * x


class HighwayNet(nn.Module):
    def __init__(self, cfg: HighwayConfig):
        super().__init__()
        self.cfg = cfg
        self.proj = nn.Linear(cfg.in_features, cfg.hidden)
        self.layers = nn.Sequential(*[HighwayLayer(cfg.hidden, cfg.gate_bias) for _ in range(cfg.depth)])
        self.head = nn.Linear(cfg.hidden, cfg.num_outputs)

    def forward(self, x):
        h = F.relu(self.proj(x))  # (B, hidden)
        return self.head(self.layers(h))


# ---- builders (registered; not emitted) ----
from .registry import register_arch  # noqa: E402


def _vector(batch, in_features, **_):
    return [(batch, in_features)]


@register_arch(family="linear", params=lambda in_features, num_outputs: (in_features + 1) * num_outputs,
               inputs=_vector, test_sizes=({"in_features": 5, "num_outputs": 1}, {"in_features": 64, "num_outputs": 10}))
def linear(in_features=20, num_outputs=1):
    """Linear / logistic regression as one nn.Linear (the seed's first rung)."""
    return LinearModel(LinearConfig(in_features, num_outputs))


def _mlp_params(in_features, hidden, depth, num_outputs, **_):
    return (in_features + 1) * hidden + (depth - 1) * (hidden + 1) * hidden + (hidden + 1) * num_outputs


@register_arch(family="mlp", params=_mlp_params, inputs=_vector,
               test_sizes=({"in_features": 8, "hidden": 16, "depth": 1, "num_outputs": 3},
                           {"in_features": 30, "hidden": 128, "depth": 3, "num_outputs": 2, "dropout": 0.1}))
def mlp(in_features=20, hidden=128, depth=2, num_outputs=1, dropout=0.0):
    """Multi-layer perceptron: depth hidden layers of hidden units, ReLU."""
    return MLP(MLPConfig(in_features, hidden, depth, num_outputs, dropout))


def _highway_params(in_features, hidden, depth, num_outputs, **_):
    return (in_features + 1) * hidden + depth * 2 * (hidden + 1) * hidden + (hidden + 1) * num_outputs


@register_arch(family="mlp", params=_highway_params, inputs=_vector,
               test_sizes=({"in_features": 8, "hidden": 16, "depth": 2, "num_outputs": 3},
                           {"in_features": 30, "hidden": 64, "depth": 12, "num_outputs": 1}))
def highway(in_features=20, hidden=128, depth=10, num_outputs=1, gate_bias=-2.0):
    """Highway network: gated skip connections y = T·H(x) + (1 − T)·x (Srivastava et al. 2015)."""
    return HighwayNet(HighwayConfig(in_features, hidden, depth, num_outputs, gate_bias))

