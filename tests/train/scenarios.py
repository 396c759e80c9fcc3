"""Small real trainings on CPU: the fault suite (the seed's problems 1-4, dead ReLUs, saturation) and
healthy runs. Each returns the Monitor after training; the tests and benchmarks/diagnose_suite.py
diagnose them.

Every run is seeded; data comes from scikit-learn's bundled sets or is generated here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

import archwise


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[int], archwise.Monitor]
    expect: str | None          # the problem that must be diagnosed (None: healthy, no warning or above)
    first_action: str | None    # the action of its first prescription


# ---- data ---------------------------------------------------------------------------------------

def _digits(n: int | None = None, seed: int = 0, flat: bool = True):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    x, y = x[order] / 16.0, y[order]
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    if n is not None:
        x, y = x[:n], y[:n]
    x = torch.tensor(x, dtype=torch.float32)
    if not flat:
        x = x.reshape(-1, 1, 8, 8)
    return x, torch.tensor(y)


def _split(x, y, val: float = 0.25):
    k = int(len(x) * (1 - val))
    return (x[:k], y[:k]), (x[k:], y[k:])


def _moons(n: int, seed: int, noise: float = 0.2):
    from sklearn.datasets import make_moons

    x, y = make_moons(n, noise=noise, random_state=seed)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def _teacher(n: int, d: int, seed: int, classes: int = 2):
    g = torch.Generator().manual_seed(1000 + seed)
    x = torch.randn(n, d, generator=g)
    w = torch.randn(d, classes, generator=g)
    return x, (x @ w).argmax(1)


# ---- the loop -----------------------------------------------------------------------------------

def train(model: nn.Module, data, *, val=None, epochs: int = 10, batch: int = 64, lr: float = 1e-3,
          opt: str = "adam", loss_fn=None, classify: bool = True, every: int = 10, seed: int = 0,
          weight_decay: float = 0.0, monitor: bool = True) -> archwise.Monitor | nn.Module:
    """A plain PyTorch loop with the Monitor around it (or without, for the bit-identity test)."""
    torch.manual_seed(seed)
    loss_fn = loss_fn or (nn.CrossEntropyLoss() if classify else nn.MSELoss())
    optimizer = (torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay) if opt == "adam"
                 else torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9 if opt == "momentum" else 0.0,
                                      weight_decay=weight_decay))
    x, y = data
    mon = archwise.Monitor(model, optimizer, every=every, n_train=len(x)) if monitor else None
    g = torch.Generator().manual_seed(seed)

    def evaluate(xs, ys):
        model.eval()
        with torch.no_grad():
            out = model(xs)
            loss = float(loss_fn(out, ys))
            metric = float((out.argmax(-1) == ys).float().mean()) if classify else None
        model.train()
        return loss, metric

    def loop():
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=g)
            for i in range(0, len(x), batch):
                idx = order[i:i + batch]
                loss = loss_fn(model(x[idx]), y[idx])
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                if mon is not None:
                    mon.step(loss)
            if mon is not None:
                train_loss, train_metric = evaluate(x, y)
                val_loss, val_metric = evaluate(*val) if val is not None else (None, None)
                mon.log_epoch(train_loss=train_loss, val_loss=val_loss, train_metric=train_metric,
                              val_metric=val_metric)

    if mon is None:
        loop()
        return model
    with mon:
        loop()
    return mon


def mlp(sizes: list[int], act=nn.ReLU, dropout: float = 0.0) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


# ---- faults -------------------------------------------------------------------------------------

def vanishing(seed: int = 0):
    """The seed's problem 1: a plain 20-layer sigmoid network does not learn."""
    torch.manual_seed(seed)
    model = mlp([16] + [32] * 19 + [2], act=nn.Sigmoid)
    data = _teacher(1024, 16, seed)
    tr, va = _split(*data)
    return train(model, tr, val=va, epochs=20, lr=0.05, opt="sgd", seed=seed)


def high_lr(seed: int = 0):
    """A learning rate far too high: exploding, diverging, then NaN."""
    torch.manual_seed(seed)
    model = mlp([64, 128, 128, 10])
    tr, va = _split(*_digits(seed=seed))
    return train(model, tr, val=va, epochs=5, lr=3.0, opt="momentum", seed=seed)


def overfit(seed: int = 0):
    """The seed's problem 2: a big model on tiny data, trained far past its best epoch."""
    torch.manual_seed(seed)
    model = mlp([64, 512, 512, 10])
    x, y = _digits(seed=seed)
    g = torch.Generator().manual_seed(seed)
    y = torch.where(torch.rand(len(y), generator=g) < 0.3, torch.randint(0, 10, y.shape, generator=g), y)
    tr, va = (x[:100], y[:100]), (x[1000:1400], y[1000:1400])
    return train(model, tr, val=va, epochs=60, batch=25, lr=1e-3, seed=seed)


def underfit(seed: int = 0):
    """The seed's problem 3: a linear model on a nonlinear problem (interleaved moons)."""
    torch.manual_seed(seed)
    model = nn.Linear(2, 2)
    x, y = _moons(2000, seed, noise=0.35)
    x = torch.cat([x, x.roll(1, 0)], 0)[:2000]
    tr, va = _split(*_moons(2000, seed, noise=0.35))
    return train(model, tr, val=va, epochs=10, lr=1e-2, seed=seed)


def dead_relu(seed: int = 0):
    """Dead ReLUs: hidden biases initialised strongly negative."""
    torch.manual_seed(seed)
    model = mlp([64, 128, 128, 10])
    with torch.no_grad():
        for layer in list(model)[:-1]:
            if isinstance(layer, nn.Linear):
                layer.bias.fill_(-8.0)
    tr, va = _split(*_digits(seed=seed))
    return train(model, tr, val=va, epochs=8, lr=1e-3, seed=seed)


def saturated(seed: int = 0):
    """Saturation: tanh units fed by weights initialised ~10× too large."""
    torch.manual_seed(seed)
    model = mlp([64, 128, 128, 128, 10], act=nn.Tanh)
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, nn.Linear):
                layer.weight.mul_(15.0)
    tr, va = _split(*_digits(seed=seed))
    return train(model, tr, val=va, epochs=8, lr=1e-3, opt="sgd", seed=seed)


def softmax_into_ce(seed: int = 0):
    """A softmax at the end of the model, and nn.CrossEntropyLoss (which applies log-softmax again)."""
    torch.manual_seed(seed)
    tr, va = _split(*_digits(seed=seed))
    return train(nn.Sequential(mlp([64, 128, 10]), nn.Softmax(-1)), tr, val=va, epochs=10, lr=1e-3, seed=seed)


def misaligned_labels(seed: int = 0):
    """The training labels shuffled apart from their inputs (validation is right)."""
    torch.manual_seed(seed)
    (x, y), va = _split(*_digits(seed=seed))
    y = y[torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))]
    return train(mlp([64, 256, 10]), (x, y), val=va, epochs=15, lr=1e-3, seed=seed)


def unshuffled(seed: int = 0):
    """The training set sorted by class and fed in the same order every epoch."""
    torch.manual_seed(seed)
    (x, y), va = _split(*_digits(seed=seed))
    order = y.argsort(stable=True)
    x, y = x[order], y[order]
    model = mlp([64, 128, 10])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    mon = archwise.Monitor(model, optimizer, every=5)
    with mon:
        for _ in range(6):
            for i in range(0, len(x), 64):  # no shuffling: the bug
                loss = loss_fn(model(x[i:i + 64]), y[i:i + 64])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                mon.step(loss)
            with torch.no_grad():
                out, vout = model(x), model(va[0])
            mon.log_epoch(train_loss=float(loss_fn(out, y)), val_loss=float(loss_fn(vout, va[1])),
                          train_metric=float((out.argmax(1) == y).float().mean()),
                          val_metric=float((vout.argmax(1) == va[1]).float().mean()))
    return mon


def unscaled_targets(seed: int = 0):
    """scikit-learn's diabetes: inputs standardised, the target (25-346) left in its units, MSE."""
    from sklearn.datasets import load_diabetes

    torch.manual_seed(seed)
    x, y = load_diabetes(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    x = (x - x.mean(0)) / x.std(0)
    tr, va = _split(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)[:, None])
    return train(mlp([10, 64, 1]), tr, val=va, epochs=10, lr=1e-3, classify=False, seed=seed)


def huge_weight_decay(seed: int = 0):
    """SGD with weight decay 1.0: the weights are pulled to zero faster than they learn."""
    torch.manual_seed(seed)
    tr, va = _split(*_digits(seed=seed))
    return train(mlp([64, 128, 10]), tr, val=va, epochs=10, lr=1e-2, opt="sgd", weight_decay=1.0, seed=seed)


def raw_inputs(seed: int = 0):
    """Digits' raw pixels (0-16), scaled ×10 and not standardised, into a tanh network."""
    from sklearn.datasets import load_digits

    torch.manual_seed(seed)
    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(x))
    tr, va = _split(torch.tensor(x[order] * 10, dtype=torch.float32), torch.tensor(y[order]))
    return train(mlp([64, 128, 128, 10], act=nn.Tanh), tr, val=va, epochs=8, lr=1e-3, seed=seed)


def low_lr(seed: int = 0):
    """Adam at 1e-6: a sound model and init whose steps are far too small."""
    torch.manual_seed(seed)
    tr, va = _split(*_digits(seed=seed))
    return train(mlp([64, 128, 10]), tr, val=va, epochs=8, lr=1e-6, seed=seed)


# ---- healthy runs -------------------------------------------------------------------------------

def healthy_mlp(seed: int = 0):
    torch.manual_seed(seed)
    tr, va = _split(*_digits(seed=seed))
    return train(mlp([64, 128, 64, 10]), tr, val=va, epochs=10, lr=1e-3, seed=seed)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                                      nn.MaxPool2d(2))
        self.head = nn.Linear(32 * 16, 10)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def healthy_cnn(seed: int = 0):
    torch.manual_seed(seed)
    tr, va = _split(*_digits(seed=seed, flat=False))
    return train(SmallCNN(), tr, val=va, epochs=6, lr=1e-3, seed=seed)


class SeqClassifier(nn.Module):
    """Reads a sequence and classifies it; an LSTM or a small Transformer encoder."""

    def __init__(self, kind: str, features: int = 4, hidden: int = 32, classes: int = 2, length: int = 20):
        super().__init__()
        self.kind = kind
        self.inp = nn.Linear(features, hidden)
        if kind == "lstm":
            self.body = nn.LSTM(hidden, hidden, batch_first=True)
        else:
            self.pos = nn.Parameter(torch.randn(1, length, hidden) * 0.02)
            layer = nn.TransformerEncoderLayer(hidden, 4, 2 * hidden, dropout=0.0, batch_first=True)
            self.body = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        h = self.inp(x)
        if self.kind == "lstm":
            h = self.body(h)[0][:, -1]
        else:
            h = self.body(h + self.pos).mean(1)
        return self.head(h)


def _sequences(n: int, seed: int, length: int = 20, features: int = 4):
    """Label: whether the running sum of the first feature ends positive (needs the whole sequence)."""
    g = torch.Generator().manual_seed(2000 + seed)
    x = torch.randn(n, length, features, generator=g)
    y = (x[:, :, 0].sum(1) + 0.5 * x[:, -5:, 1].sum(1) > 0).long()
    return x, y


def healthy_lstm(seed: int = 0):
    torch.manual_seed(seed)
    tr, va = _split(*_sequences(1600, seed))
    return train(SeqClassifier("lstm"), tr, val=va, epochs=8, lr=3e-3, seed=seed)


def healthy_transformer(seed: int = 0):
    torch.manual_seed(seed)
    tr, va = _split(*_sequences(1600, seed))
    return train(SeqClassifier("transformer"), tr, val=va, epochs=8, lr=1e-3, seed=seed)


def healthy_regression(seed: int = 0):
    """Friedman's #1 regression problem (scikit-learn's generator), standardised."""
    from sklearn.datasets import make_friedman1

    torch.manual_seed(seed)
    x, y = make_friedman1(3000, n_features=10, noise=0.5, random_state=seed)
    x = (x - x.mean(0)) / x.std(0)
    y = (y - y.mean()) / y.std()
    x = torch.tensor(x, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.float32)[:, None]
    tr, va = _split(x, y, val=0.2)
    return train(mlp([10, 64, 64, 1]), tr, val=va, epochs=10, batch=64, lr=1e-3, classify=False, seed=seed)


FAULTS = [
    Scenario("vanishing", vanishing, "vanishing_gradients", "add_skip_connections"),
    Scenario("high_lr", high_lr, None, "lower_learning_rate"),   # any of exploding / divergence / non_finite
    Scenario("overfit", overfit, "overfitting", "reduce_capacity"),
    Scenario("underfit", underfit, "underfitting", "increase_capacity"),  # a plateau: more epochs do not help
    Scenario("dead_relu", dead_relu, "dead_units", "check_initialization"),
    Scenario("saturation", saturated, "saturation", "check_initialization"),
    # issue 17's classes: data and loss bugs, scale, regularisation, the order of remedies
    Scenario("softmax_into_ce", softmax_into_ce, "probabilities_into_logit_loss", "check_loss_inputs"),
    Scenario("misaligned_labels", misaligned_labels, "labels_misaligned", "check_data_pipeline"),
    Scenario("unshuffled", unshuffled, "unshuffled_data", "shuffle_data"),
    Scenario("unscaled_targets", unscaled_targets, "unscaled_targets", "standardize_targets"),
    Scenario("huge_weight_decay", huge_weight_decay, "weight_decay_too_high", "reduce_weight_decay"),
    Scenario("raw_inputs", raw_inputs, "saturation", "normalize_inputs"),
    Scenario("low_lr", low_lr, "loss_not_decreasing", "raise_learning_rate"),
]
HIGH_LR_PROBLEMS = ("exploding_gradients", "divergence", "non_finite")

HEALTHY = [
    Scenario("mlp", healthy_mlp, None, None),
    Scenario("cnn", healthy_cnn, None, None),
    Scenario("lstm", healthy_lstm, None, None),
    Scenario("transformer", healthy_transformer, None, None),
    Scenario("regression", healthy_regression, None, None),
]
