"""A realistic fault suite for the diagnosis: failed trainings as a new user's look.

Each :class:`Case` is a small real training on CPU (one torch thread, a few seconds at most) on
data shipped with scikit-learn or statsmodels, with the optimizers, batch sizes and epochs people
use; the fault is the bug itself (softmax before ``CrossEntropyLoss``, labels shuffled apart from
their inputs, unnormalised features, a weight decay of 10, ...), not the cleanest curve that makes
a detector fire. About a third run through the archwise Lightning callback.

``case.run(seed)`` returns the Monitor after training; ``mon.truth`` (a plain attribute, not part
of the record the detectors read) holds numbers measured outside the monitor that show the fault
is really there (dead fractions of functional ReLUs, saturated RNN states, weight norms, ...).

Problem names and action keys follow the vocabulary the detectors are being changed to; some do
not exist in archwise yet (``probabilities_into_logit_loss``, ``labels_misaligned``,
``unshuffled_data``, ``unscaled_targets``, ``weight_decay_too_high``, ...).

benchmarks/diagnose_realistic.py runs the suite and reports recall, right first prescriptions and
false alarms; tests/train/test_realistic_suite.py checks its structure only.
"""

from __future__ import annotations

import logging
import math
import random
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import archwise

CLASSES = ("gate", "loss_metric", "scale", "regularisation", "order", "numerics", "coverage", "noise", "seed")


@dataclass(frozen=True)
class Case:
    name: str                 # unique, snake_case
    cls: str                  # failure class, one of CLASSES, or "healthy"
    run: Callable[[int], archwise.Monitor]   # seed -> the Monitor after a real CPU training
    expect: tuple[str, ...]   # acceptable problems for the FIRST diagnosis of severity warning or above; () healthy
    first_action: str | None  # the required action of that diagnosis's first prescription; None for healthy
    loop: str = "plain"       # "plain" (a hand-written loop) or "lightning" (the archwise Lightning callback)
    held_out: bool = False    # written to be held out (round 1; looked at, and tuned on, in round 2)
    fresh: bool = False       # written after round 2's thresholds were fixed: never tuned on
    note: str = ""            # what the fault is and why that first action is the right fix


# ---- seeding and data -----------------------------------------------------------------------------

def _seed(seed: int) -> None:
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def _t(x, dtype=torch.float32):
    return torch.tensor(np.asarray(x), dtype=dtype)


def _split_idx(n: int, seed: int, val: float = 0.25):
    order = np.random.default_rng(seed).permutation(n)
    k = int(n * (1 - val))
    return order[:k], order[k:]


def _standardise(xtr, xva):
    """scikit-learn's StandardScaler: a feature constant on the train split keeps scale 1 (dividing by a
    tiny epsilon instead turns one stray validation pixel into an input of 1e8)."""
    mu, sd = xtr.mean(0), xtr.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    return (xtr - mu) / sd, (xva - mu) / sd


def digits(seed: int, scale: str = "std", shape: str = "flat"):
    """scikit-learn's 8×8 digits, split by ``seed``. ``scale``: "std" (train-split standardised), "unit"
    (pixels / 16), "raw" (0..16) or "raw10" (0..160, a ×10 preprocessing slip). ``shape``: "flat" (64),
    "image" (1×8×8), "rows" (8 steps of 8) or "tokens" (the pixel values 0..16 as token ids)."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    tr, va = _split_idx(len(x), seed)
    xtr, xva = x[tr], x[va]
    if shape == "tokens":
        return (_t(xtr, torch.long), _t(y[tr], torch.long)), (_t(xva, torch.long), _t(y[va], torch.long))
    if scale == "std":
        xtr, xva = _standardise(xtr, xva)
    elif scale == "unit":
        xtr, xva = xtr / 16.0, xva / 16.0
    elif scale == "raw10":
        xtr, xva = xtr * 10.0, xva * 10.0
    xtr, xva = _t(xtr), _t(xva)
    if shape == "image":
        xtr, xva = xtr.reshape(-1, 1, 8, 8), xva.reshape(-1, 1, 8, 8)
    elif shape == "rows":
        xtr, xva = xtr.reshape(-1, 8, 8), xva.reshape(-1, 8, 8)
    return (xtr, _t(y[tr], torch.long)), (xva, _t(y[va], torch.long))


def _tabular(loader, seed: int, standardise: bool = True, binary: bool = False):
    x, y = loader(return_X_y=True)
    tr, va = _split_idx(len(x), seed)
    xtr, xva = x[tr], x[va]
    if standardise:
        xtr, xva = _standardise(xtr, xva)
    ydt = torch.float32 if binary else torch.long
    ytr, yva = _t(y[tr], ydt), _t(y[va], ydt)
    if binary:
        ytr, yva = ytr[:, None], yva[:, None]
    return (_t(xtr), ytr), (_t(xva), yva)


def cancer(seed: int, standardise: bool = True):
    """Breast cancer (569 × 30; raw areas reach ~2500), binary targets as (n, 1) floats."""
    from sklearn.datasets import load_breast_cancer
    return _tabular(load_breast_cancer, seed, standardise, binary=True)


def wine(seed: int, standardise: bool = True):
    """Wine (178 × 13, 3 classes; raw proline ~300-1700)."""
    from sklearn.datasets import load_wine
    return _tabular(load_wine, seed, standardise)


def diabetes(seed: int, scale_target: bool = True):
    """Diabetes regression (442 × 10; features already centred by scikit-learn, raw target 25-346)."""
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    tr, va = _split_idx(len(x), seed, 0.2)
    xtr, xva = _standardise(x[tr], x[va])
    ytr, yva = y[tr], y[va]
    if scale_target:
        mu, sd = ytr.mean(), ytr.std()
        ytr, yva = (ytr - mu) / sd, (yva - mu) / sd
    return (_t(xtr), _t(ytr)[:, None]), (_t(xva), _t(yva)[:, None])


def friedman(seed: int, n: int = 2000, target_scale: float = 0.0):
    """Friedman #1 (10 features in [0, 1]); ``target_scale`` 0 standardises the target, else multiplies it."""
    from sklearn.datasets import make_friedman1

    x, y = make_friedman1(n, n_features=10, noise=0.5, random_state=seed)
    tr, va = _split_idx(n, seed, 0.2)
    xtr, xva = _standardise(x[tr], x[va])
    ytr, yva = y[tr], y[va]
    if target_scale:
        ytr, yva = ytr * target_scale, yva * target_scale
    else:
        mu, sd = ytr.mean(), ytr.std()
        ytr, yva = (ytr - mu) / sd, (yva - mu) / sd
    return (_t(xtr), _t(ytr)[:, None]), (_t(xva), _t(yva)[:, None])


def sunspots(seed: int, window: int = 16, scale: bool = True):
    """statsmodels' yearly sunspot numbers (1700-2008, bundled): predict next year from ``window`` years."""
    import statsmodels.api as sm

    s = sm.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(dtype=np.float64)
    xs = np.stack([s[i:i + window] for i in range(len(s) - window)])
    ys = s[window:]
    tr, va = _split_idx(len(xs), seed, 0.2)
    if scale:
        mu, sd = s[:int(0.8 * len(s))].mean(), s[:int(0.8 * len(s))].std()
        xs, ys = (xs - mu) / sd, (ys - mu) / sd
    return (_t(xs[tr])[..., None], _t(ys[tr])[:, None]), (_t(xs[va])[..., None], _t(ys[va])[:, None])


def moons(seed: int, n: int = 2000, noise: float = 0.2):
    from sklearn.datasets import make_moons

    x, y = make_moons(n, noise=noise, random_state=seed)
    tr, va = _split_idx(n, seed)
    return (_t(x[tr]), _t(y[tr], torch.long)), (_t(x[va]), _t(y[va], torch.long))


def noisy(y: torch.Tensor, frac: float, classes: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(500 + seed)
    flip = torch.rand(len(y), generator=g) < frac
    return torch.where(flip, torch.randint(0, classes, y.shape, generator=g), y)


def by_label(data):
    """The training set sorted by label (as many datasets come on disk)."""
    x, y = data
    order = torch.argsort(y.flatten(), stable=True)
    return x[order], y[order]


# ---- the two loops --------------------------------------------------------------------------------

def _metric(out: torch.Tensor, y: torch.Tensor, task: str, prob: bool):
    if task == "classify":
        return float((out.argmax(-1) == y).float().mean())
    if task == "binary":
        return float(((out > (0.5 if prob else 0.0)).float() == y).float().mean())
    return None


def fit(model: nn.Module, train, val, *, seed: int, epochs: int, batch: int = 64, lr: float = 1e-3,
        opt: Callable | None = None, loss_fn=None, task: str = "classify", prob: bool = False,
        shuffle: bool = True, sched: Callable | None = None, accumulate: int = 1, clip: float | None = None,
        every: int = 10, loop: str = "plain") -> archwise.Monitor:
    """Train ``model`` on ``train`` = (x, y), evaluating on ``val``; the Monitor (or callback) around it.

    ``opt(params)`` makes the optimizer (Adam at ``lr`` by default); ``sched(optimizer, total_steps)``
    an LR scheduler stepped per optimizer step; ``task`` is "classify", "binary" or "regress" (no metric);
    ``prob`` says the model outputs probabilities (the binary threshold is then 0.5).
    """
    loss_fn = loss_fn or (nn.CrossEntropyLoss() if task == "classify" else nn.BCEWithLogitsLoss()
                          if task == "binary" else nn.MSELoss())
    opt = opt or (lambda params: torch.optim.Adam(params, lr=lr))
    total = epochs * math.ceil(len(train[0]) / batch / accumulate)
    if loop == "lightning":
        return _fit_lightning(model, train, val, seed=seed, epochs=epochs, batch=batch, opt=opt, loss_fn=loss_fn,
                              task=task, prob=prob, shuffle=shuffle, sched=sched, accumulate=accumulate,
                              clip=clip, every=every, total=total)
    optimizer = opt(model.parameters())
    scheduler = sched(optimizer, total) if sched else None
    x, y = train
    mon = archwise.Monitor(model, optimizer, every=every, n_train=len(x))
    g = torch.Generator().manual_seed(seed)

    def evaluate(xs, ys):
        model.eval()
        with torch.no_grad():
            out = model(xs)
            loss = float(loss_fn(out, ys))
            metric = _metric(out, ys, task, prob)
        model.train()
        return loss, metric

    with mon:
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=g) if shuffle else torch.arange(len(x))
            for k, i in enumerate(range(0, len(x), batch)):
                idx = order[i:i + batch]
                loss = loss_fn(model(x[idx]), y[idx])
                (loss / accumulate).backward()
                last = i + batch >= len(x)
                if (k + 1) % accumulate == 0 or last:
                    if clip:
                        nn.utils.clip_grad_norm_(model.parameters(), clip)
                    optimizer.step()
                    optimizer.zero_grad()
                    if scheduler is not None:
                        scheduler.step()
                mon.step(loss)
            tl, tm = evaluate(x, y)
            vl, vm = evaluate(*val)
            mon.log_epoch(train_loss=tl, val_loss=vl, train_metric=tm, val_metric=vm)
    return mon


_LIT = None


def _lit_class():
    global _LIT
    if _LIT is not None:
        return _LIT
    import lightning as L

    class LitWrap(L.LightningModule):
        def __init__(self, model, loss_fn, opt, task, prob, sched, total):
            super().__init__()
            self.model, self.loss_fn = model, loss_fn
            self._opt, self._task, self._prob, self._sched, self._total = opt, task, prob, sched, total

        def forward(self, x):
            return self.model(x)

        def training_step(self, batch, batch_idx):
            x, y = batch
            out = self(x)
            loss = self.loss_fn(out, y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            m = _metric(out.detach(), y, self._task, self._prob)
            if m is not None:
                self.log("train_acc", m, on_step=False, on_epoch=True)
            return loss

        def validation_step(self, batch, batch_idx):
            x, y = batch
            out = self(x)
            self.log("val_loss", self.loss_fn(out, y))
            m = _metric(out, y, self._task, self._prob)
            if m is not None:
                self.log("val_acc", m)

        def configure_optimizers(self):
            o = self._opt(self.parameters())
            if self._sched is None:
                return o
            return {"optimizer": o, "lr_scheduler": {"scheduler": self._sched(o, self._total), "interval": "step"}}

    _LIT = LitWrap
    return LitWrap


def _fit_lightning(model, train, val, *, seed, epochs, batch, opt, loss_fn, task, prob, shuffle, sched, accumulate,
                   clip, every, total) -> archwise.Monitor:
    import lightning as L

    from archwise.train.integrations.lightning import ArchwiseCallback

    for name in ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)
    torch.manual_seed(seed)
    ds = torch.utils.data.TensorDataset(*train)
    dl = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=shuffle,
                                     generator=torch.Generator().manual_seed(seed) if shuffle else None)
    vl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*val), batch_size=512)
    cb = ArchwiseCallback(every=every, n_train=len(ds), print_diagnoses=False)
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, enable_progress_bar=False, logger=False,
                        enable_checkpointing=False, enable_model_summary=False, num_sanity_val_steps=0,
                        accumulate_grad_batches=accumulate, gradient_clip_val=clip, callbacks=[cb])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(_lit_class()(model, loss_fn, opt, task, prob, sched, total), dl, vl)
    return cb.monitor


# ---- models ---------------------------------------------------------------------------------------

def mlp(sizes, act=nn.ReLU, dropout: float = 0.0, norm: bool = False, last=None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            if norm:
                layers.append(nn.BatchNorm1d(b))
            layers.append(act())
            if dropout:
                layers.append(nn.Dropout(dropout))
    if last is not None:
        layers.append(last)
    return nn.Sequential(*layers)


def linears(model: nn.Module) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


class FuncMLP(nn.Module):
    """An MLP written with functional activations (F.relu / torch.tanh), no activation modules."""

    def __init__(self, sizes, act: str = "relu"):
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.act = act

    def forward(self, x):
        for fc in self.fcs[:-1]:
            x = F.relu(fc(x)) if self.act == "relu" else torch.tanh(fc(x))
        return self.fcs[-1](x)


class RowRNN(nn.Module):
    """Reads a digit image row by row (8 steps of 8 pixels): LSTM, GRU or tanh RNN."""

    def __init__(self, kind: str = "lstm", hidden: int = 64, classes: int = 10, features: int = 8):
        super().__init__()
        cell = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
        self.rnn = cell(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


class RowTransformer(nn.Module):
    """A small nn.TransformerEncoder over the 8 rows of a digit (default ReLU feed-forward)."""

    def __init__(self, d: int = 32, layers: int = 2, classes: int = 10, dropout: float = 0.1):
        super().__init__()
        self.inp = nn.Linear(8, d)
        self.pos = nn.Parameter(torch.zeros(1, 8, d))
        layer = nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=dropout, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        return self.head(self.enc(self.inp(x) + self.pos).mean(1))


class CNN(nn.Module):
    def __init__(self, bn: bool = True, act=nn.ReLU, softmax: bool = False, depth: int = 2, width: int = 16):
        super().__init__()
        layers: list[nn.Module] = []
        c = 1
        for i in range(depth):
            layers += [nn.Conv2d(c, width, 3, padding=1)] + ([nn.BatchNorm2d(width)] if bn else []) + [act()]
            c = width
        layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(width * 16, 10)
        self.softmax = softmax

    def forward(self, x):
        out = self.head(self.features(x).flatten(1))
        return out.softmax(-1) if self.softmax else out


class ResMLP(nn.Module):
    """``depth`` pre-norm residual blocks (LayerNorm → Linear → ReLU → Linear), 2 Linear layers each."""

    def __init__(self, inp: int, width: int, depth: int, out: int):
        super().__init__()
        self.inp = nn.Linear(inp, width)
        self.blocks = nn.ModuleList(nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.ReLU(),
                                                  nn.Linear(width, width)) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, out)

    def forward(self, x):
        h = self.inp(x)
        for block in self.blocks:
            h = h + block(h)
        return self.head(self.norm(h))


class Forecaster(nn.Module):
    """A GRU/LSTM reading a window of a series and predicting the next value."""

    def __init__(self, kind: str = "gru", hidden: int = 32):
        super().__init__()
        self.rnn = (nn.GRU if kind == "gru" else nn.LSTM)(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


class TinyBert(nn.Module):
    """transformers' BertForSequenceClassification from a small config, over digit pixels as tokens."""

    def __init__(self, classes: int = 10, hidden: int = 32, layers: int = 2):
        super().__init__()
        from transformers import BertConfig, BertForSequenceClassification

        cfg = BertConfig(vocab_size=20, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2,
                         intermediate_size=2 * hidden, max_position_embeddings=64, num_labels=classes,
                         hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        self.bert = BertForSequenceClassification(cfg)

    def forward(self, x):
        return self.bert(input_ids=x).logits


def adamw(lr=1e-3, wd=1e-2):
    return lambda params: torch.optim.AdamW(params, lr=lr, weight_decay=wd)


def sgd(lr, momentum=0.9, wd=0.0):
    return lambda params: torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd)


def warmup_cosine(warm: float = 0.1):
    def make(optimizer, total):
        w = max(1, int(warm * total))
        return torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: (s + 1) / w if s < w else 0.5 * (1 + math.cos(math.pi * (s - w) / max(1, total - w))))
    return make


def step_decay(every_frac: float = 0.4, gamma: float = 0.1):
    def make(optimizer, total):
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, int(every_frac * total)), gamma=gamma)
    return make


# ---- measured truth (outside the monitor) ---------------------------------------------------------

def _dead_fraction(model: nn.Module, x: torch.Tensor, modules: list[nn.Module]) -> list[float]:
    """Per module, the fraction of its output units that are <= 0 for every input (outputs of the module)."""
    seen: dict[int, torch.Tensor] = {}
    hooks = [m.register_forward_hook(lambda m, a, o, i=i: seen.__setitem__(i, (o.detach() > 0).flatten(0, -2).any(0)))
             for i, m in enumerate(modules)]
    model.eval()
    with torch.no_grad():
        model(x)
    model.train()
    for h in hooks:
        h.remove()
    return [1.0 - float(seen[i].float().mean()) for i in range(len(modules))]


def _weight_norm(model: nn.Module) -> float:
    return float(torch.sqrt(sum((p.detach().double() ** 2).sum() for p in model.parameters() if p.requires_grad)))


def _overfit_truth(mon: archwise.Monitor) -> archwise.Monitor:
    """Whether the run really overfitted, from its own logged epochs: a final train-val accuracy gap of 5
    points or more, or a final val loss 20 % above its best. A seed where neither happened did not produce
    the fault (wine is easy: 40 rows can be enough), and the benchmark leaves it out of the counts."""
    epochs = mon.record.epochs
    gap = epochs[-1].train_metric - epochs[-1].val_metric
    best = min(e.val_loss for e in epochs)
    return _with_truth(mon, present=bool(gap >= 0.05 or epochs[-1].val_loss >= 1.2 * best), acc_gap=gap,
                       val_rise=epochs[-1].val_loss / best)


def _underfit_truth(mon: archwise.Monitor) -> archwise.Monitor:
    """Whether the run really underfitted: its final train accuracy below 0.9 (digits allows 0.99+)."""
    return _with_truth(mon, present=bool(mon.record.epochs[-1].train_metric < 0.9),
                       train_metric=mon.record.epochs[-1].train_metric)


def _with_truth(mon: archwise.Monitor, **truth) -> archwise.Monitor:
    mon.truth = {**getattr(mon, "truth", {}), **truth}
    return mon


def _val_acc(mon: archwise.Monitor) -> float | None:
    return mon.record.epochs[-1].val_metric if mon.record.epochs else None


# ---- gate: real dead/saturated units behind a loss that fell from an inflated start --------------

def gate_tanh_std1_digits(seed: int, loop: str = "plain"):
    """tanh MLP initialised with nn.init.normal_(std=1) (a tutorial's 'random normal' init)."""
    _seed(seed)
    model = mlp([64, 256, 256, 10], act=nn.Tanh)
    for fc in linears(model):
        nn.init.normal_(fc.weight, std=1.0)
        nn.init.normal_(fc.bias, std=1.0)
    tr, va = digits(seed)
    return fit(model, tr, va, seed=seed, epochs=8, lr=1e-3, loop=loop)


def gate_sigmoid_big_init_cancer(seed: int, loop: str = "lightning"):
    """sigmoid MLP on breast cancer with weights drawn uniform(-3, 3) (a hand-rolled 'uniform' init)."""
    _seed(seed)
    model = mlp([30, 128, 128, 1], act=nn.Sigmoid)
    for fc in linears(model):
        nn.init.uniform_(fc.weight, -3.0, 3.0)
        nn.init.uniform_(fc.bias, -1.0, 1.0)
    tr, va = cancer(seed)
    return fit(model, tr, va, seed=seed, epochs=25, batch=32, lr=1e-3, task="binary", loop=loop)


def gate_sgd_lr_kills_relu(seed: int, loop: str = "plain"):
    """SGD with momentum 0.9 at lr 0.3 on unit-scaled pixels: the first steps kill most layer-1 ReLUs."""
    _seed(seed)
    model = mlp([64, 256, 256, 10])
    tr, va = digits(seed, scale="unit")
    mon = fit(model, tr, va, seed=seed, epochs=6, batch=32, opt=sgd(0.3), loop=loop)
    return _with_truth(mon, dead=_dead_fraction(model, tr[0], [m for m in model if isinstance(m, nn.ReLU)]))


def gate_adam_lr_kills_relu(seed: int, loop: str = "plain"):
    """Adam at lr 0.03 (30× the default) on a digits MLP (pixels / 16): early big updates push most
    ReLUs dead, yet the loss still falls a lot."""
    _seed(seed)
    model = mlp([64, 512, 512, 10])
    tr, va = digits(seed, scale="unit")
    mon = fit(model, tr, va, seed=seed, epochs=6, batch=32, lr=0.03, loop=loop)
    return _with_truth(mon, dead=_dead_fraction(model, tr[0], [m for m in model if isinstance(m, nn.ReLU)]))


def gate_adam_lr_kills_relu_005(seed: int, loop: str = "lightning"):
    """Adam at lr 0.05 on a digits MLP: most ReLUs of both layers die early; the loss still falls."""
    _seed(seed)
    model = mlp([64, 512, 512, 10])
    tr, va = digits(seed, scale="unit")
    mon = fit(model, tr, va, seed=seed, epochs=6, batch=32, lr=0.05, loop=loop)
    return _with_truth(mon, dead=_dead_fraction(model, tr[0], [m for m in model if isinstance(m, nn.ReLU)]))


# ---- loss/metric: the loss and the metric disagree -----------------------------------------------

def softmax_ce_digits(seed: int, loop: str = "plain"):
    """nn.Softmax(dim=1) at the end of the model, then nn.CrossEntropyLoss (which softmaxes again)."""
    _seed(seed)
    model = mlp([64, 128, 10], last=nn.Softmax(dim=1))
    tr, va = digits(seed)
    return fit(model, tr, va, seed=seed, epochs=10, lr=1e-3, loop=loop)


def softmax_ce_wine(seed: int, loop: str = "lightning"):
    _seed(seed)
    model = mlp([13, 64, 3], last=nn.Softmax(dim=-1))
    tr, va = wine(seed)
    return fit(model, tr, va, seed=seed, epochs=40, batch=16, lr=3e-3, loop=loop)


def softmax_ce_cnn(seed: int, loop: str = "plain"):
    _seed(seed)
    tr, va = digits(seed, shape="image")
    return fit(CNN(softmax=True), tr, va, seed=seed, epochs=6, lr=1e-3, loop=loop)


def misaligned_train_digits(seed: int, loop: str = "plain"):
    """The training labels were shuffled separately from the inputs (np.random.shuffle on y alone);
    validation is correct: train accuracy climbs by memorising, val stays at chance (0.1)."""
    _seed(seed)
    (x, y), va = digits(seed)
    y = y[torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))]
    return fit(mlp([64, 512, 512, 10]), (x, y), va, seed=seed, epochs=25, lr=2e-3, loop=loop)


def misaligned_val_digits(seed: int, loop: str = "lightning"):
    """Validation labels off by one row against their images (a join bug); training is correct."""
    _seed(seed)
    tr, (xv, yv) = digits(seed)
    return fit(mlp([64, 256, 10]), tr, (xv, yv.roll(1)), seed=seed, epochs=10, lr=1e-3, loop=loop)


def misaligned_train_cancer(seed: int, loop: str = "plain"):
    """Breast-cancer features sorted by one column, labels left in file order (a sort on X only)."""
    _seed(seed)
    (x, y), va = cancer(seed)
    x = x[torch.argsort(x[:, 0])]
    return fit(mlp([30, 256, 256, 1]), (x, y), va, seed=seed, epochs=40, batch=32, lr=2e-3, task="binary",
               loop=loop)


def unshuffled_digits(seed: int, loop: str = "plain"):
    """Training data sorted by label and never shuffled: each epoch walks 0s, then 1s, ... then 9s."""
    _seed(seed)
    tr, va = digits(seed)
    return fit(mlp([64, 128, 10]), by_label(tr), va, seed=seed, epochs=8, lr=1e-3, shuffle=False, loop=loop)


def unshuffled_wine(seed: int, loop: str = "lightning"):
    _seed(seed)
    tr, va = wine(seed)
    return fit(mlp([13, 64, 3]), by_label(tr), va, seed=seed, epochs=25, batch=16, lr=3e-3, shuffle=False, loop=loop)


def unshuffled_cnn(seed: int, loop: str = "lightning"):
    _seed(seed)
    tr, va = digits(seed, shape="image")
    return fit(CNN(), by_label(tr), va, seed=seed, epochs=5, lr=1e-3, shuffle=False, loop=loop)


# ---- scale: inputs or targets far from unit scale -------------------------------------------------

def unnormalised_digits_tanh(seed: int, loop: str = "plain"):
    """Raw pixels ×10 (0..160, a double-scaling slip) into a tanh MLP: layer 1 saturates."""
    _seed(seed)
    tr, va = digits(seed, scale="raw10")
    return fit(mlp([64, 128, 128, 10], act=nn.Tanh), tr, va, seed=seed, epochs=8, opt=sgd(0.01), loop=loop)


def unnormalised_cancer_tanh(seed: int, loop: str = "lightning"):
    """Raw breast-cancer features (areas ~500-2500) into a tanh MLP."""
    _seed(seed)
    tr, va = cancer(seed, standardise=False)
    return fit(mlp([30, 64, 64, 1], act=nn.Tanh), tr, va, seed=seed, epochs=20, batch=32, lr=1e-3, task="binary",
               loop=loop)


def unnormalised_cancer_relu(seed: int, loop: str = "plain"):
    """Raw breast-cancer features into a ReLU MLP with SGD: the loss hardly moves from a huge start."""
    _seed(seed)
    tr, va = cancer(seed, standardise=False)
    return fit(mlp([30, 64, 64, 1]), tr, va, seed=seed, epochs=20, batch=32, opt=sgd(1e-3), task="binary",
               loop=loop)


def unnormalised_wine_sigmoid(seed: int, loop: str = "lightning"):
    """Raw wine features (proline ~300-1700, magnesium ~100) into a sigmoid MLP."""
    _seed(seed)
    tr, va = wine(seed, standardise=False)
    return fit(mlp([13, 64, 64, 3], act=nn.Sigmoid), tr, va, seed=seed, epochs=30, batch=16, lr=1e-3, loop=loop)


def unscaled_targets_diabetes(seed: int, loop: str = "plain"):
    """Diabetes progression (targets 25-346, mean ~150) regressed with MSE on raw targets: first loss ~3e4."""
    _seed(seed)
    tr, va = diabetes(seed, scale_target=False)
    return fit(mlp([10, 64, 64, 1]), tr, va, seed=seed, epochs=30, batch=32, lr=1e-3, task="regress", loop=loop)


def unscaled_targets_friedman(seed: int, loop: str = "lightning"):
    """Friedman #1 with the target in thousandths (×1000): MSE in the 1e8 range."""
    _seed(seed)
    tr, va = friedman(seed, target_scale=1000.0)
    return fit(mlp([10, 64, 64, 1]), tr, va, seed=seed, epochs=10, lr=1e-3, task="regress", loop=loop)


def unscaled_targets_sunspots(seed: int, loop: str = "plain"):
    """A GRU forecasting raw sunspot counts (0-190): inputs and targets unscaled."""
    _seed(seed)
    tr, va = sunspots(seed, scale=False)
    return fit(Forecaster("gru"), tr, va, seed=seed, epochs=25, batch=32, lr=3e-3, task="regress", loop=loop)


# ---- regularisation --------------------------------------------------------------------------------

def wd_adam_l2_digits(seed: int, loop: str = "plain"):
    """Adam(weight_decay=0.5) (coupled L2, a value meant for AdamW's decoupled decay, and too big even
    there): the weights collapse and the loss sits at log 10."""
    _seed(seed)
    model = mlp([64, 256, 256, 10])
    tr, va = digits(seed)
    w0 = _weight_norm(model)
    mon = fit(model, tr, va, seed=seed, epochs=10, opt=lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=0.5),
              loop=loop)
    return _with_truth(mon, weight_norm_start=w0, weight_norm_end=_weight_norm(model))


def wd_sgd_digits(seed: int, loop: str = "plain"):
    """SGD(lr 0.05, momentum 0.9, weight_decay=0.5) on digits (5e-4 intended)."""
    _seed(seed)
    model = mlp([64, 256, 256, 10])
    tr, va = digits(seed)
    w0 = _weight_norm(model)
    mon = fit(model, tr, va, seed=seed, epochs=10, opt=sgd(0.05, wd=0.5), loop=loop)
    return _with_truth(mon, weight_norm_start=w0, weight_norm_end=_weight_norm(model))


def wd_sgd_1(seed: int, loop: str = "lightning"):
    """SGD(momentum 0.9, weight_decay=1) on breast cancer."""
    _seed(seed)
    model = mlp([30, 128, 128, 1])
    tr, va = cancer(seed)
    w0 = _weight_norm(model)
    mon = fit(model, tr, va, seed=seed, epochs=20, batch=32, opt=sgd(0.05, wd=1.0), task="binary", loop=loop)
    return _with_truth(mon, weight_norm_start=w0, weight_norm_end=_weight_norm(model))


def wd_adam_coupled_wine(seed: int, loop: str = "plain"):
    """Adam(weight_decay=1) (coupled L2 through Adam) on wine: predictions pinned near uniform."""
    _seed(seed)
    model = mlp([13, 128, 128, 3])
    tr, va = wine(seed)
    w0 = _weight_norm(model)
    mon = fit(model, tr, va, seed=seed, epochs=40, batch=16,
              opt=lambda p: torch.optim.Adam(p, lr=3e-3, weight_decay=1.0), loop=loop)
    return _with_truth(mon, weight_norm_start=w0, weight_norm_end=_weight_norm(model))


# ---- order: what to try first when the loss is flat ------------------------------------------------

def deep_plain_relu(seed: int, loop: str = "plain"):
    """A plain 24-layer ReLU MLP with PyTorch's default init and no skips: gradients vanish."""
    _seed(seed)
    tr, va = digits(seed)
    return fit(mlp([64] + [64] * 23 + [10]), tr, va, seed=seed, epochs=6, opt=sgd(0.01), loop=loop)


def deep_plain_tanh(seed: int, loop: str = "lightning"):
    """A plain 20-layer tanh MLP with default init and SGD."""
    _seed(seed)
    tr, va = cancer(seed)
    return fit(mlp([30] + [64] * 19 + [1], act=nn.Tanh), tr, va, seed=seed, epochs=15, batch=32, opt=sgd(0.01),
               task="binary", loop=loop)


def deep_plain_sigmoid_cnn(seed: int, loop: str = "plain"):
    """A 12-conv sigmoid CNN without normalisation or skips."""
    _seed(seed)
    tr, va = digits(seed, shape="image")
    return fit(CNN(bn=False, act=nn.Sigmoid, depth=12, width=8), tr, va, seed=seed, epochs=4, opt=sgd(0.05),
               loop=loop)


def low_lr_adam(seed: int, loop: str = "plain"):
    """Adam at lr 1e-6 (a typo for 1e-3, or a fine-tuning rate used from scratch)."""
    _seed(seed)
    tr, va = digits(seed)
    return fit(mlp([64, 128, 64, 10]), tr, va, seed=seed, epochs=8, lr=1e-6, loop=loop)


def low_lr_sgd(seed: int, loop: str = "lightning"):
    """Plain SGD at lr 1e-5 on breast cancer."""
    _seed(seed)
    tr, va = cancer(seed)
    return fit(mlp([30, 64, 64, 1]), tr, va, seed=seed, epochs=20, batch=32, opt=sgd(1e-5, momentum=0.0),
               task="binary", loop=loop)


def low_lr_lstm(seed: int, loop: str = "plain"):
    """An LSTM on digit rows with Adam at 1e-6."""
    _seed(seed)
    tr, va = digits(seed, scale="unit", shape="rows")
    return fit(RowRNN("lstm", 32), tr, va, seed=seed, epochs=5, lr=1e-6, loop=loop)


def frozen_backbone(seed: int, loop: str = "plain"):
    """A randomly initialised 64→128→8 feature extractor frozen (meant to be pretrained), and only an
    8→10 head trains: train and val accuracy plateau together far below what the data allows."""
    _seed(seed)
    body = mlp([64, 128, 8])
    for p in body.parameters():
        p.requires_grad_(False)
    model = nn.Sequential(body, nn.ReLU(), nn.Linear(8, 10))
    tr, va = digits(seed)
    return fit(model, tr, va, seed=seed, epochs=15,
               opt=lambda p: torch.optim.Adam([q for q in p if q.requires_grad], lr=1e-2), loop=loop)


def frozen_bert(seed: int, loop: str = "lightning"):
    """A small BERT (transformers, random init) with the whole encoder frozen; only the classifier trains."""
    _seed(seed)
    model = TinyBert()
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith("bert.classifier"))
    tr, va = digits(seed, shape="tokens")
    return fit(model, tr, va, seed=seed, epochs=4, lr=3e-3,
               opt=lambda p: torch.optim.Adam([q for q in p if q.requires_grad], lr=3e-3), loop=loop)


def too_small_digits(seed: int, loop: str = "plain"):
    """A 64→3→10 bottleneck MLP: trained to a plateau (the loss no longer falls), train ≈ val, both low."""
    _seed(seed)
    tr, va = digits(seed)
    return fit(mlp([64, 3, 10]), tr, va, seed=seed, epochs=25, lr=1e-2, loop=loop)


def too_small_moons(seed: int, loop: str = "lightning"):
    """A 2→2→2 MLP on interleaved moons (noise 0.25): a plateau below what a bigger net reaches."""
    _seed(seed)
    tr, va = moons(seed, 2000, 0.25)
    return fit(mlp([2, 2, 2]), tr, va, seed=seed, epochs=15, lr=1e-2, loop=loop)


# ---- numerics ----------------------------------------------------------------------------------------

class TokenMLP(nn.Module):
    """Digit pixels as tokens: an embedding (with reserved rows), mean-pooled, into an MLP."""

    def __init__(self, vocab: int = 32, dim: int = 32):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.net = mlp([dim * 8, 128, 10])

    def forward(self, x):
        e = self.emb(x)                                    # (n, 64, dim)
        return self.net(e.reshape(len(x), 8, 8, -1).mean(2).flatten(1))


def large_finite_embedding(seed: int, loop: str = "plain"):
    """An embedding whose reserved rows (17-31, never looked up) were filled with 5e19 as a sentinel:
    the layer's weight norm overflows float32 (‖W‖ ≈ 1e21) but every value is finite and training is
    healthy. No 'non_finite' may be reported."""
    _seed(seed)
    model = TokenMLP()
    with torch.no_grad():
        model.emb.weight[17:] = 5e19
    tr, va = digits(seed, shape="tokens")
    mon = fit(model, tr, va, seed=seed, epochs=6, lr=1e-3, loop=loop)
    return _with_truth(mon, max_abs_weight=float(model.emb.weight.abs().max()),
                       all_finite=bool(all(torch.isfinite(p).all() for p in model.parameters())))


class ScaledBN(nn.Module):
    def __init__(self, scale: float):
        super().__init__()
        self.fc = nn.Linear(30, 64)
        self.bn = nn.BatchNorm1d(64)
        self.net = mlp([64, 64, 1])
        with torch.no_grad():
            self.fc.weight.mul_(scale)
            self.fc.bias.zero_()

    def forward(self, x):
        return self.net(torch.relu(self.bn(self.fc(x))))


def large_finite_float64(seed: int, loop: str = "lightning"):
    """A float64 model (scientific code often is) whose first layer was scaled to ~3e19 before a
    BatchNorm: the BatchNorm removes the scale, so training is fine; float32 statistics of that layer
    would overflow. No 'non_finite' may be reported."""
    _seed(seed)
    model = ScaledBN(1e20).double()
    (x, y), (xv, yv) = cancer(seed)
    mon = fit(model, (x.double(), y.double()), (xv.double(), yv.double()), seed=seed, epochs=10, batch=32,
              lr=1e-3, task="binary", loop=loop)
    return _with_truth(mon, max_abs_weight=float(model.fc.weight.abs().max()))


class HandBCE(nn.Module):
    """Binary cross-entropy written by hand: -(y log p + (1-y) log(1-p)), no clamp."""

    def forward(self, p, y):
        return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def nan_log0_bce(seed: int, loop: str = "plain"):
    """Hand-written BCE on sigmoid outputs: once a prediction is confidently right p rounds to 1.0 in
    float32, log(1 - p) = -inf and the loss and gradients become NaN."""
    _seed(seed)
    tr, va = cancer(seed)
    return fit(mlp([30, 128, 128, 1], last=nn.Sigmoid()), tr, va, seed=seed, epochs=20, batch=32, lr=1e-2,
               loss_fn=HandBCE(), task="binary", prob=True, loop=loop)


class HandCE(nn.Module):
    """Cross-entropy written by hand as -log(softmax(logits)[y]), no log-sum-exp."""

    def forward(self, out, y):
        return -torch.log(out.softmax(-1).gather(1, y[:, None])).mean()


def nan_log0_ce(seed: int, loop: str = "lightning"):
    _seed(seed)
    tr, va = digits(seed, scale="raw10")
    return fit(mlp([64, 256, 256, 10]), tr, va, seed=seed, epochs=8, lr=1e-2, loss_fn=HandCE(), loop=loop)


def nan_zero_std_inputs(seed: int, loop: str = "plain"):
    """Digits standardised with (x - mean) / std and no epsilon: the always-blank border pixels have
    std 0, so their column is 0/0 = NaN and the loss is NaN from the first step."""
    _seed(seed)
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    tr, va = _split_idx(len(x), seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu, sd = x[tr].mean(0), x[tr].std(0)
        xtr, xva = (x[tr] - mu) / sd, (x[va] - mu) / sd
    return fit(mlp([64, 128, 10]), (_t(xtr), _t(y[tr], torch.long)), (_t(xva), _t(y[va], torch.long)),
               seed=seed, epochs=3, lr=1e-3, loop=loop)


# ---- coverage: activations the monitor cannot see as modules ---------------------------------------

def functional_relu_dead(seed: int, loop: str = "plain"):
    """F.relu in forward (no nn.ReLU module); hidden biases initialised at -3 'to start sparse'."""
    _seed(seed)
    model = FuncMLP([64, 256, 256, 10])
    for fc in model.fcs[:-1]:
        nn.init.constant_(fc.bias, -3.0)
    tr, va = digits(seed)
    mon = fit(model, tr, va, seed=seed, epochs=8, lr=1e-3, loop=loop)
    dead = []
    h = tr[0]
    with torch.no_grad():
        for fc in model.fcs[:-1]:
            pre = fc(h)
            dead.append(1.0 - float((pre > 0).any(0).float().mean()))
            h = F.relu(pre)
    return _with_truth(mon, dead=dead)


def transformer_relu_dead(seed: int, loop: str = "lightning"):
    """nn.TransformerEncoderLayer (its default F.relu feed-forward) whose linear1 biases were set to -2:
    the feed-forward units are dead; only attention and the residual path learn."""
    _seed(seed)
    model = RowTransformer(d=32, layers=2, dropout=0.0)
    for layer in model.enc.layers:
        nn.init.constant_(layer.linear1.bias, -2.0)
    tr, va = digits(seed, shape="rows")
    mon = fit(model, tr, va, seed=seed, epochs=6, lr=1e-3, loop=loop)
    return _with_truth(mon, dead=_dead_fraction(model, tr[0], [layer.linear1 for layer in model.enc.layers]))


def rnn_tanh_saturated(seed: int, loop: str = "plain"):
    """An nn.RNN (tanh inside the cell) with weight_hh drawn normal(std=1): hidden states stick at ±1."""
    _seed(seed)
    model = RowRNN("rnn", 64)
    nn.init.normal_(model.rnn.weight_hh_l0, std=1.0)
    nn.init.normal_(model.rnn.weight_ih_l0, std=1.0)
    tr, va = digits(seed, shape="rows")
    mon = fit(model, tr, va, seed=seed, epochs=6, lr=1e-3, loop=loop)
    with torch.no_grad():
        h = model.rnn(tr[0])[0]
    return _with_truth(mon, saturated_state=float((h.abs() > 0.99).float().mean()))


def functional_tanh_saturated(seed: int, loop: str = "lightning"):
    """torch.tanh in forward (no nn.Tanh module), weights initialised normal(std=2)."""
    _seed(seed)
    model = FuncMLP([30, 128, 128, 1], act="tanh")
    for fc in model.fcs:
        nn.init.normal_(fc.weight, std=2.0)
    tr, va = cancer(seed)
    mon = fit(model, tr, va, seed=seed, epochs=20, batch=32, lr=1e-3, task="binary", loop=loop)
    with torch.no_grad():
        pre1 = model.fcs[0](tr[0])
        pre2 = model.fcs[1](torch.tanh(pre1))
    return _with_truth(mon, saturated=[float((pre1.abs() >= 5).float().mean()), float((pre2.abs() >= 5).float().mean())])


# ---- noise: runs that must stay quiet ----------------------------------------------------------------

def noise_label_plateau(seed: int, loop: str = "plain"):
    """30 % of the training and validation labels random: accuracy plateaus near 0.75, which is the
    data's ceiling, not underfitting (no warning may be raised)."""
    _seed(seed)
    (x, y), (xv, yv) = digits(seed)
    return fit(mlp([64, 128, 10], dropout=0.2), (x, noisy(y, 0.3, 10, seed)), (xv, noisy(yv, 0.3, 10, seed + 1)),
               seed=seed, epochs=10, opt=adamw(1e-3, 1e-2), loop=loop)


def noise_label_plateau_lightning(seed: int, loop: str = "lightning"):
    """30 % random digits labels, train and val, a small regularised MLP: a plateau near 0.7."""
    _seed(seed)
    (x, y), (xv, yv) = digits(seed)
    return fit(mlp([64, 64, 10], dropout=0.3), (x, noisy(y, 0.3, 10, seed)), (xv, noisy(yv, 0.3, 10, seed + 1)),
               seed=seed, epochs=8, opt=adamw(1e-3, 5e-2), loop=loop)


def noise_val_wobble(seed: int, loop: str = "plain"):
    """A converged breast-cancer classifier trained on at a small learning rate: its val loss wobbles by
    about 0.01 nats from epoch to epoch (no overfitting may be reported)."""
    _seed(seed)
    tr, va = cancer(seed)
    return fit(mlp([30, 32, 1]), tr, va, seed=seed, epochs=15, batch=32, lr=3e-3, task="binary", loop=loop)


def noise_val_wobble_moons(seed: int, loop: str = "lightning"):
    _seed(seed)
    tr, va = moons(seed, 1500, 0.3)
    return fit(mlp([2, 32, 32, 2]), tr, va, seed=seed, epochs=12, lr=3e-3, loop=loop)


# ---- healthy runs that look alarming -------------------------------------------------------------------

def h_warmup_cosine(seed: int, loop: str = "plain"):
    _seed(seed)
    tr, va = digits(seed)
    return fit(mlp([64, 256, 128, 10]), tr, va, seed=seed, epochs=10, opt=adamw(3e-3, 1e-2), sched=warmup_cosine(),
               loop=loop)


def h_dropout05(seed: int, loop: str = "lightning"):
    """Dropout 0.5 on every hidden layer: the running train accuracy sits below val."""
    _seed(seed)
    tr, va = digits(seed)
    return fit(mlp([64, 256, 256, 10], dropout=0.5), tr, va, seed=seed, epochs=12, lr=1e-3, loop=loop)


def h_noisy_labels_20(seed: int, loop: str = "plain"):
    _seed(seed)
    (x, y), (xv, yv) = digits(seed)
    return fit(mlp([64, 128, 10]), (x, noisy(y, 0.2, 10, seed)), (xv, yv), seed=seed, epochs=8, lr=1e-3, loop=loop)


def h_deep_residual(seed: int, loop: str = "plain"):
    """20 pre-norm residual blocks (40 Linear layers) with LayerNorm: deep but trains well."""
    _seed(seed)
    tr, va = digits(seed)
    return fit(ResMLP(64, 64, 20, 10), tr, va, seed=seed, epochs=5, opt=adamw(1e-3, 1e-2), loop=loop)


def h_bce_logits(seed: int, loop: str = "lightning"):
    _seed(seed)
    tr, va = cancer(seed)
    return fit(mlp([30, 64, 64, 1]), tr, va, seed=seed, epochs=20, batch=32, lr=1e-3, task="binary", loop=loop)


def h_sigmoid_bce(seed: int, loop: str = "plain"):
    """A sigmoid output layer with nn.BCELoss (probabilities into a probability loss: correct)."""
    _seed(seed)
    tr, va = cancer(seed)
    return fit(mlp([30, 64, 64, 1], last=nn.Sigmoid()), tr, va, seed=seed, epochs=20, batch=32, lr=1e-3,
               loss_fn=nn.BCELoss(), task="binary", prob=True, loop=loop)


def h_small_gap_wine(seed: int, loop: str = "plain"):
    _seed(seed)
    tr, va = wine(seed)
    return fit(mlp([13, 64, 3], dropout=0.2), tr, va, seed=seed, epochs=20, batch=16, opt=adamw(3e-3, 1e-2),
               loop=loop)


def h_lstm_rows(seed: int, loop: str = "lightning"):
    _seed(seed)
    tr, va = digits(seed, scale="unit", shape="rows")
    return fit(RowRNN("lstm", 64), tr, va, seed=seed, epochs=12, lr=5e-3, loop=loop)


def h_transformer_rows(seed: int, loop: str = "plain"):
    _seed(seed)
    tr, va = digits(seed, shape="rows")
    return fit(RowTransformer(), tr, va, seed=seed, epochs=12, opt=adamw(3e-3, 1e-2), loop=loop)


def h_cnn_bn(seed: int, loop: str = "lightning"):
    _seed(seed)
    tr, va = digits(seed, shape="image")
    return fit(CNN(), tr, va, seed=seed, epochs=5, lr=1e-3, loop=loop)


def h_diabetes(seed: int, loop: str = "plain"):
    """Standardised diabetes regression: a noisy target, the loss ends near 0.5 of its variance."""
    _seed(seed)
    tr, va = diabetes(seed)
    return fit(mlp([10, 32, 1]), tr, va, seed=seed, epochs=30, batch=32, lr=1e-3, task="regress", loop=loop)


def h_grad_accumulation(seed: int, loop: str = "lightning"):
    _seed(seed)
    tr, va = digits(seed)
    return fit(mlp([64, 128, 10]), tr, va, seed=seed, epochs=10, batch=16, accumulate=4, lr=2e-3, loop=loop)


def h_sgd_step_decay(seed: int, loop: str = "plain"):
    _seed(seed)
    tr, va = cancer(seed)
    return fit(mlp([30, 64, 64, 1]), tr, va, seed=seed, epochs=25, batch=32, opt=sgd(0.05), sched=step_decay(),
               task="binary", loop=loop)


def h_gru_sunspots(seed: int, loop: str = "plain"):
    _seed(seed)
    tr, va = sunspots(seed)
    return fit(Forecaster("gru"), tr, va, seed=seed, epochs=25, batch=32, lr=3e-3, task="regress", loop=loop)


def h_moons_gelu(seed: int, loop: str = "lightning"):
    """A GELU MLP on moons with AdamW and warmup/cosine: converges to the noise floor."""
    _seed(seed)
    tr, va = moons(seed, 2000, 0.2)
    return fit(mlp([2, 64, 64, 2], act=nn.GELU), tr, va, seed=seed, epochs=10, opt=adamw(3e-3, 1e-2),
               sched=warmup_cosine(), loop=loop)


def h_friedman_clip(seed: int, loop: str = "lightning"):
    """Standardised Friedman #1 with gradient clipping at 1.0 and AdamW."""
    _seed(seed)
    tr, va = friedman(seed)
    return fit(mlp([10, 64, 64, 1]), tr, va, seed=seed, epochs=10, opt=adamw(1e-3, 1e-2), clip=1.0, task="regress",
               loop=loop)


# ---- the seed's own problems, as people meet them ---------------------------------------------------------

def seed_exploding_rnn(seed: int, loop: str = "plain"):
    """An LSTM forecaster trained with SGD at lr 2 (copied from a classifier recipe) and no clipping."""
    _seed(seed)
    tr, va = sunspots(seed)
    return fit(Forecaster("lstm"), tr, va, seed=seed, epochs=20, batch=32, opt=sgd(2.0), task="regress", loop=loop)


def seed_exploding_mlp(seed: int, loop: str = "lightning"):
    """A digits MLP on unit-scaled pixels with SGD momentum at lr 1.5."""
    _seed(seed)
    tr, va = digits(seed, scale="unit")
    return fit(mlp([64, 256, 256, 10]), tr, va, seed=seed, epochs=6, opt=sgd(1.5), loop=loop)


def seed_dead_relu(seed: int, loop: str = "plain"):
    """Hidden biases initialised at -1 with He-scaled weights: most units dead from the start; the loss
    hardly moves."""
    _seed(seed)
    model = mlp([64, 128, 128, 10])
    for fc in linears(model)[:-1]:
        nn.init.kaiming_normal_(fc.weight)
        nn.init.constant_(fc.bias, -6.0)
    tr, va = digits(seed)
    return fit(model, tr, va, seed=seed, epochs=6, lr=1e-3, loop=loop)


def seed_saturation(seed: int, loop: str = "plain"):
    """sigmoid MLP with weights drawn normal(std=1) (torch.randn-style), trained with SGD."""
    _seed(seed)
    model = mlp([64, 128, 128, 10], act=nn.Sigmoid)
    for fc in linears(model):
        nn.init.normal_(fc.weight, std=1.0)
    tr, va = digits(seed)
    return fit(model, tr, va, seed=seed, epochs=6, opt=sgd(0.05), loop=loop)


def seed_overfitting(seed: int, loop: str = "lightning"):
    """A 512-512 MLP on 150 digits images (20 % of them mislabelled) trained 60 epochs."""
    _seed(seed)
    (x, y), va = digits(seed)
    return _overfit_truth(fit(mlp([64, 512, 512, 10]), (x[:150], noisy(y[:150], 0.2, 10, seed)), va, seed=seed,
                              epochs=60, batch=32, lr=1e-3, loop=loop))


def seed_underfitting(seed: int, loop: str = "plain"):
    """Stopped after 3 epochs of plain SGD at 0.01: train ≈ val, both low, the loss still falling."""
    _seed(seed)
    tr, va = digits(seed)
    return fit(mlp([64, 64, 10]), tr, va, seed=seed, epochs=3, batch=64, opt=sgd(0.01, momentum=0.0), loop=loop)


def seed_low_lr(seed: int, loop: str = "lightning"):
    """A CNN with SGD at 1e-4 and no momentum: the loss barely moves."""
    _seed(seed)
    tr, va = digits(seed, shape="image")
    return fit(CNN(bn=False), tr, va, seed=seed, epochs=4, opt=sgd(1e-4, momentum=0.0), loop=loop)


def seed_overfitting_wine(seed: int, loop: str = "plain"):
    """A wide MLP on wine with only 40 training rows, 150 epochs."""
    _seed(seed)
    (x, y), va = wine(seed)
    return _overfit_truth(fit(mlp([13, 512, 512, 3]), (x[:40], y[:40]), va, seed=seed, epochs=150, batch=16,
                              lr=1e-3, loop=loop))


# ---- round 3 ("fresh"): written after round 2's thresholds were fixed; never tuned on -------------------

def macro(seed: int, scale_target: bool = True):
    """statsmodels' US macro data (203 quarters): real GDP from the other standardised columns; raw GDP is
    about 7000 ± 3000."""
    import statsmodels.api as sm

    d = sm.datasets.macrodata.load_pandas().data
    y = d["realgdp"].to_numpy(dtype=np.float64)
    x = d.drop(columns=["realgdp", "year", "quarter"]).to_numpy(dtype=np.float64)
    tr, va = _split_idx(len(x), seed, 0.2)
    xtr, xva = _standardise(x[tr], x[va])
    ytr, yva = y[tr], y[va]
    if scale_target:
        mu, sd = ytr.mean(), ytr.std()
        ytr, yva = (ytr - mu) / sd, (yva - mu) / sd
    return (_t(xtr), _t(ytr)[:, None]), (_t(xva), _t(yva)[:, None])


def f_softmax_ce_transformer(seed: int, loop: str = "lightning"):
    """A row transformer whose head ends in softmax, trained with CrossEntropyLoss."""
    _seed(seed)
    tr, va = digits(seed, shape="rows")
    model = nn.Sequential(RowTransformer(), nn.Softmax(-1))
    return fit(model, tr, va, seed=seed, epochs=8, opt=adamw(3e-3, 1e-2), loop=loop)


def f_misaligned_val_wine(seed: int, loop: str = "plain"):
    """Wine whose validation labels were sorted separately from the validation rows."""
    _seed(seed)
    tr, (xv, yv) = wine(seed)
    return fit(mlp([13, 64, 3]), tr, (xv, torch.sort(yv).values), seed=seed, epochs=25, batch=16, lr=3e-3,
               loop=loop)


def f_unshuffled_moons(seed: int, loop: str = "plain"):
    """Moons stored class 0 first, then class 1, iterated in that order (shuffle=False)."""
    _seed(seed)
    tr, va = moons(seed, 2000, 0.2)
    return fit(mlp([2, 32, 32, 2]), by_label(tr), va, seed=seed, epochs=8, lr=3e-3, shuffle=False, loop=loop)


def f_unnormalised_cnn(seed: int, loop: str = "lightning"):
    """Raw 0..160 pixels (a ×10 slip in preprocessing) into a tanh CNN without BatchNorm."""
    _seed(seed)
    tr, va = digits(seed, scale="raw10", shape="image")
    return fit(CNN(bn=False, act=nn.Tanh), tr, va, seed=seed, epochs=4, lr=1e-3, loop=loop)


def f_unscaled_targets_macro(seed: int, loop: str = "plain"):
    """Real GDP in raw units (~7000) regressed with MSE from standardised macro series."""
    _seed(seed)
    tr, va = macro(seed, scale_target=False)
    return fit(mlp([11, 64, 1]), tr, va, seed=seed, epochs=40, batch=16, lr=1e-3, task="regress", loop=loop)


def f_wd_sgd_cnn(seed: int, loop: str = "lightning"):
    """A CNN with SGD momentum and weight_decay=0.5 (meant 5e-4)."""
    _seed(seed)
    tr, va = digits(seed, shape="image")
    model = CNN(bn=False)
    w0 = _weight_norm(model)
    mon = fit(model, tr, va, seed=seed, epochs=5, opt=sgd(0.05, wd=0.5), loop=loop)
    return _with_truth(mon, weight_norm_start=w0, weight_norm_end=_weight_norm(model))


def f_deep_plain_tanh_cancer(seed: int, loop: str = "plain"):
    """16 plain tanh Linear layers (default init, no norm, no skips) on breast cancer with SGD."""
    _seed(seed)
    tr, va = cancer(seed)
    return fit(mlp([30] + [32] * 15 + [1], act=nn.Tanh), tr, va, seed=seed, epochs=10, batch=32, opt=sgd(0.01),
               task="binary", loop=loop)


def f_low_lr_transformer(seed: int, loop: str = "plain"):
    """A row transformer with AdamW at 1e-7."""
    _seed(seed)
    tr, va = digits(seed, shape="rows")
    return fit(RowTransformer(), tr, va, seed=seed, epochs=5, opt=adamw(1e-7, 1e-2), loop=loop)


def f_exploding_gru(seed: int, loop: str = "lightning"):
    """A GRU forecaster on standardised sunspots with SGD at lr 3 (meant 3e-3)."""
    _seed(seed)
    tr, va = sunspots(seed)
    return fit(Forecaster("gru"), tr, va, seed=seed, epochs=10, batch=32, opt=sgd(3.0), task="regress", loop=loop)


def f_dead_bias_wine(seed: int, loop: str = "plain"):
    """A ReLU MLP on wine whose hidden biases were initialised at -5 (a copy-paste from a sigmoid-gate init)."""
    _seed(seed)
    model = mlp([13, 64, 64, 3])
    for fc in linears(model)[:-1]:
        nn.init.constant_(fc.bias, -5.0)
    tr, va = wine(seed)
    mon = fit(model, tr, va, seed=seed, epochs=20, batch=16, lr=1e-3, loop=loop)
    return _with_truth(mon, dead=_dead_fraction(model, tr[0], [m for m in model if isinstance(m, nn.ReLU)]))


def f_overfit_digits_small(seed: int, loop: str = "lightning"):
    """A 1024-wide two-layer MLP on 120 digits images with 15 % of their labels wrong, 80 epochs."""
    _seed(seed)
    (x, y), va = digits(seed)
    return _overfit_truth(fit(mlp([64, 1024, 1024, 10]), (x[:120], noisy(y[:120], 0.15, 10, seed)), va, seed=seed,
                              epochs=80, batch=16, lr=1e-3, loop=loop))


def f_bottleneck_digits(seed: int, loop: str = "lightning"):
    """A 64→256→4→10 MLP: a 4-unit layer in the middle, trained to a plateau."""
    _seed(seed)
    tr, va = digits(seed)
    return _underfit_truth(fit(mlp([64, 256, 4, 10]), tr, va, seed=seed, epochs=20, lr=3e-3, loop=loop))


def f_h_label_smoothing(seed: int, loop: str = "plain"):
    """CrossEntropyLoss(label_smoothing=0.1): the loss cannot go below ~0.5 even at 100 % accuracy."""
    _seed(seed)
    tr, va = digits(seed)
    return fit(mlp([64, 128, 10]), tr, va, seed=seed, epochs=10, lr=2e-3,
               loss_fn=nn.CrossEntropyLoss(label_smoothing=0.1), loop=loop)


def f_h_onecycle(seed: int, loop: str = "lightning"):
    """A CNN with SGD and OneCycleLR (the lr climbs 25× then anneals)."""
    _seed(seed)
    tr, va = digits(seed, shape="image")

    def onecycle(optimizer, total):
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=total)
    return fit(CNN(), tr, va, seed=seed, epochs=5, opt=sgd(0.004), sched=onecycle, loop=loop)


def f_h_noisy_binary(seed: int, loop: str = "plain"):
    """Breast cancer with 15 % of train and val labels flipped: accuracy plateaus near 0.8."""
    _seed(seed)
    (x, y), (xv, yv) = cancer(seed)
    g = torch.Generator().manual_seed(900 + seed)
    flip = lambda t: torch.where(torch.rand(t.shape, generator=g) < 0.15, 1 - t, t)  # noqa: E731
    return fit(mlp([30, 64, 1], dropout=0.2), (x, flip(y)), (xv, flip(yv)), seed=seed, epochs=20, batch=32,
               opt=adamw(1e-3, 1e-2), task="binary", loop=loop)


def f_h_small_batch_wine(seed: int, loop: str = "lightning"):
    """Wine at batch size 4 with SGD: a jagged step loss, a good model."""
    _seed(seed)
    tr, va = wine(seed)
    return fit(mlp([13, 32, 3]), tr, va, seed=seed, epochs=15, batch=4, opt=sgd(0.01), loop=loop)


def f_h_macro_regression(seed: int, loop: str = "plain"):
    """Standardised real GDP from the other macro series: a small, easy regression."""
    _seed(seed)
    tr, va = macro(seed)
    return fit(mlp([11, 64, 64, 1]), tr, va, seed=seed, epochs=40, batch=16, opt=adamw(1e-3, 1e-2), task="regress",
               loop=loop)


def f_h_residual_sgd(seed: int, loop: str = "lightning"):
    """12 residual blocks (24 Linear layers) trained with SGD momentum and step decay."""
    _seed(seed)
    tr, va = digits(seed)
    return fit(ResMLP(64, 64, 12, 10), tr, va, seed=seed, epochs=6, opt=sgd(0.02), sched=step_decay(0.5),
               loop=loop)


def f_h_lstm_sunspots(seed: int, loop: str = "lightning"):
    """An LSTM forecaster on standardised sunspots with gradient clipping."""
    _seed(seed)
    tr, va = sunspots(seed)
    return fit(Forecaster("lstm"), tr, va, seed=seed, epochs=20, batch=32, lr=3e-3, clip=1.0, task="regress",
               loop=loop)


# ---- the suite -----------------------------------------------------------------------------------------------

INPUT_PROBLEMS = ("saturation", "dead_units", "loss_not_decreasing", "underfitting")
HIGH_LR = ("exploding_gradients", "divergence", "non_finite")


def _case(fn, cls, expect, action, loop="plain", held_out=False, note="", fresh=False):
    name = fn.__name__
    return Case(name, cls, lambda seed: fn(seed, loop=loop), tuple(expect), action, loop, held_out, fresh,
                note or (fn.__doc__ or "").strip().split("\n")[0])


CASES: list[Case] = [
    # gate
    _case(gate_tanh_std1_digits, "gate", ["saturation"], "check_initialization",
          note="tanh layers initialised at std 1 (fan-in 64-256): most pre-activations |x|>5; the init is the cause"),
    _case(gate_sigmoid_big_init_cancer, "gate", ["saturation"], "check_initialization", "lightning",
          note="sigmoid MLP with uniform(-1,1) weights saturates; the loss falls from an inflated start; fix the init"),
    _case(gate_sgd_lr_kills_relu, "gate", ["dead_units", *HIGH_LR], "lower_learning_rate",
          note="SGD momentum lr 0.3: most layer-1 ReLUs die in the first steps; the learning rate is the cause (on "
               "some CPUs the same run also diverges, update ratio ~0.16: exploding or divergence with 'lower the "
               "learning rate' names the same fix)"),
    _case(gate_adam_lr_kills_relu, "gate", ["dead_units"], "lower_learning_rate",
          note="Adam at lr 0.03: the first updates kill most ReLUs while the loss falls a lot; lower the lr"),
    # loss/metric
    _case(softmax_ce_digits, "loss_metric", ["probabilities_into_logit_loss"], "check_loss_inputs",
          note="nn.Softmax before CrossEntropyLoss: accuracy high, loss stuck ~1.5; remove the softmax"),
    _case(softmax_ce_wine, "loss_metric", ["probabilities_into_logit_loss"], "check_loss_inputs", "lightning",
          note="softmax output into CrossEntropyLoss on wine: loss floor ~0.6 at 100% accuracy"),
    _case(misaligned_train_digits, "loss_metric", ["labels_misaligned"], "check_data_pipeline",
          note="train labels permuted apart from the images: train memorised, val at chance 0.1"),
    _case(misaligned_val_digits, "loss_metric", ["labels_misaligned"], "check_data_pipeline", "lightning",
          note="val labels shifted one row: train fits, val accuracy at chance; the pipeline, not the model"),
    _case(unshuffled_digits, "loss_metric", ["unshuffled_data"], "shuffle_data",
          note="training set sorted by label, never shuffled: the loss swings with the class order; shuffle"),
    _case(unshuffled_wine, "loss_metric", ["unshuffled_data"], "shuffle_data", "lightning",
          note="wine sorted by class, DataLoader(shuffle=False): the loss jumps at each class boundary"),
    # scale
    _case(unnormalised_digits_tanh, "scale", INPUT_PROBLEMS, "normalize_inputs",
          note="pixels 0..160 into tanh: layer 1 saturated; standardise the inputs"),
    _case(unnormalised_cancer_tanh, "scale", INPUT_PROBLEMS, "normalize_inputs", "lightning",
          note="raw breast-cancer features (areas ~1000) saturate the first tanh layer; standardise"),
    _case(unnormalised_cancer_relu, "scale", INPUT_PROBLEMS, "normalize_inputs",
          note="raw breast-cancer features into ReLU + SGD: huge start, no learning; standardise"),
    _case(unscaled_targets_diabetes, "scale", ["unscaled_targets"], "standardize_targets",
          note="raw diabetes targets (~150) with MSE: first loss ~3e4; standardise the targets"),
    _case(unscaled_targets_friedman, "scale", ["unscaled_targets"], "standardize_targets", "lightning",
          note="Friedman target ×1000 with MSE: loss ~2e8; standardise the targets"),
    # regularisation
    _case(wd_adam_l2_digits, "regularisation", ["weight_decay_too_high"], "reduce_weight_decay",
          note="Adam weight_decay=0.5: weight norm 13 → 0.2, loss sits at log 10; lower the weight decay"),
    _case(wd_sgd_digits, "regularisation", ["weight_decay_too_high"], "reduce_weight_decay",
          note="SGD weight_decay=0.5: weights collapse to ~0.07, loss at log 10; lower the weight decay"),
    _case(wd_sgd_1, "regularisation", ["weight_decay_too_high"], "reduce_weight_decay", "lightning",
          note="SGD weight_decay=1: weights collapse, loss at the prior's level; lower the weight decay"),
    # order
    _case(deep_plain_relu, "order", ["vanishing_gradients", "loss_not_decreasing"], "add_skip_connections",
          note="24 plain ReLU layers, default init: first layers' gradients vanish; add skips"),
    _case(deep_plain_tanh, "order", ["vanishing_gradients", "loss_not_decreasing"], "add_skip_connections",
          "lightning", note="20 plain tanh layers with SGD: gradients vanish toward the input; add skips"),
    _case(low_lr_adam, "order", ["loss_not_decreasing", "underfitting"], "raise_learning_rate",
          note="Adam lr 1e-6 with a sound init: updates ~1e-6 of the weights, loss flat; raise the lr"),
    _case(low_lr_sgd, "order", ["loss_not_decreasing", "underfitting"], "raise_learning_rate", "lightning",
          note="SGD lr 1e-5: loss flat, tiny updates; raise the lr"),
    _case(frozen_backbone, "order", ["underfitting"], "increase_trainable_capacity",
          note="a frozen random 64→128→8 body and an 8→10 head: plateau; unfreeze / a larger trainable part"),
    _case(frozen_bert, "order", ["underfitting", "loss_not_decreasing"], "increase_trainable_capacity", "lightning",
          note="BERT encoder frozen, only the classifier trains: 330 of ~30k parameters learn; unfreeze (the loss is "
               "flat at log 10, so loss_not_decreasing names it as well as underfitting: widened after the first run)"),
    _case(too_small_digits, "order", ["underfitting"], "increase_capacity",
          note="a 3-unit bottleneck trained to a plateau: capacity, not training time"),
    # numerics
    _case(large_finite_embedding, "numerics", [], None,
          note="unused embedding rows at 5e19 (finite): healthy; 'non_finite' must NOT be reported"),
    _case(nan_log0_bce, "numerics", ["non_finite"], "check_data_and_loss",
          note="hand-written BCE log(1-p) with p=1.0 in float32: NaN; fix the loss (BCEWithLogitsLoss)"),
    _case(nan_log0_ce, "numerics", ["non_finite"], "check_data_and_loss", "lightning",
          note="-log(softmax(x)[y]) underflows to log 0: inf/NaN; use cross_entropy on logits"),
    # coverage
    _case(functional_relu_dead, "coverage", ["dead_units"], "check_initialization",
          note="F.relu in forward with biases -3: units dead, no nn.ReLU for the monitor to hook"),
    _case(transformer_relu_dead, "coverage", ["dead_units"], "check_initialization", "lightning",
          note="TransformerEncoderLayer's internal relu with linear1 bias -2: the feed-forward is dead"),
    _case(rnn_tanh_saturated, "coverage", ["saturation"], "check_initialization",
          note="nn.RNN's internal tanh with weight_hh std 1: hidden states stuck at ±1; fix the init"),
    # noise (quiet)
    _case(noise_label_plateau, "noise", [], None,
          note="30% random labels: accuracy plateaus at the data's ceiling; 'underfitting' would be wrong"),
    _case(noise_val_wobble, "noise", [], None,
          note="converged model, val loss wobbles ~0.01 nats: 'overfitting' would be wrong"),
    # healthy
    _case(h_warmup_cosine, "healthy", [], None, note="AdamW with linear warmup then cosine decay"),
    _case(h_dropout05, "healthy", [], None, "lightning", note="dropout 0.5; running train accuracy below val"),
    _case(h_deep_residual, "healthy", [], None, note="20 residual blocks with LayerNorm (41 Linear layers)"),
    _case(h_bce_logits, "healthy", [], None, "lightning", note="BCEWithLogitsLoss on breast cancer"),
    _case(h_sigmoid_bce, "healthy", [], None, note="sigmoid output with BCELoss: probabilities are right here"),
    _case(h_small_gap_wine, "healthy", [], None, note="wine with a small train/val gap"),
    _case(h_lstm_rows, "healthy", [], None, "lightning", note="an LSTM reading digit rows"),
    _case(h_transformer_rows, "healthy", [], None, note="a 2-layer nn.TransformerEncoder over digit rows"),
    _case(h_cnn_bn, "healthy", [], None, "lightning", note="a CNN with BatchNorm"),
    _case(h_diabetes, "healthy", [], None, note="standardised diabetes regression (noisy target)"),
    _case(h_grad_accumulation, "healthy", [], None, "lightning", note="gradient accumulation ×4 (batch 16)"),
    _case(h_sgd_step_decay, "healthy", [], None, note="SGD momentum 0.9 with a step decay ×0.1"),
    # the seed's own
    _case(seed_exploding_rnn, "seed", HIGH_LR, "lower_learning_rate",
          note="LSTM with SGD lr 2: gradients explode, loss diverges; lower the lr"),
    _case(seed_exploding_mlp, "seed", HIGH_LR, "lower_learning_rate", "lightning",
          note="SGD momentum lr 1.5 on an MLP: loss blows up; lower the lr"),
    _case(seed_dead_relu, "seed", ["dead_units"], "check_initialization",
          note="biases -6: ReLUs dead from the start, loss flat; fix the init"),
    _case(seed_saturation, "seed", ["saturation"], "check_initialization",
          note="sigmoid weights ×8: saturated, loss flat; fix the init"),
    _case(seed_overfitting, "seed", ["overfitting"], "reduce_capacity", "lightning",
          note="530k parameters on 150 images for 60 epochs: val loss climbs; reduce capacity"),
    _case(seed_underfitting, "seed", ["underfitting"], "train_longer",
          note="3 epochs of plain SGD 0.01: both accuracies low, the loss still falling; train longer"),
    _case(seed_low_lr, "seed", ["loss_not_decreasing", "underfitting"], "raise_learning_rate", "lightning",
          note="CNN with SGD lr 1e-4: loss barely moves; raise the lr"),
    # ---- held out: written last, not looked at while the detectors are tuned ----
    _case(gate_adam_lr_kills_relu_005, "gate", ["dead_units"], "lower_learning_rate", "lightning", True,
          note="Adam lr 0.05: most ReLUs die early while the loss still falls; lower the lr"),
    _case(softmax_ce_cnn, "loss_metric", ["probabilities_into_logit_loss"], "check_loss_inputs", "plain", True,
          note="a CNN ending in softmax into CrossEntropyLoss"),
    _case(misaligned_train_cancer, "loss_metric", ["labels_misaligned"], "check_data_pipeline", "plain", True,
          note="features sorted by one column, labels not: train memorised, val near the majority rate"),
    _case(unshuffled_cnn, "loss_metric", ["unshuffled_data"], "shuffle_data", "lightning", True,
          note="a CNN on label-sorted digits, shuffle=False"),
    _case(unnormalised_wine_sigmoid, "scale", INPUT_PROBLEMS, "normalize_inputs", "lightning", True,
          note="raw wine features (proline ~1000) saturate the first sigmoid layer; standardise"),
    _case(unscaled_targets_sunspots, "scale", ["unscaled_targets"], "standardize_targets", "plain", True,
          note="a GRU on raw sunspot counts (targets ~50, MSE ~2e3); standardise the targets"),
    _case(wd_adam_coupled_wine, "regularisation", ["weight_decay_too_high"], "reduce_weight_decay", "plain", True,
          note="Adam(weight_decay=1) on wine: weights pinned small, loss near log 3"),
    _case(deep_plain_sigmoid_cnn, "order", ["vanishing_gradients", "loss_not_decreasing"], "add_skip_connections",
          "plain", True, note="12 sigmoid convs, no norm or skips: gradients vanish; add skips"),
    _case(low_lr_lstm, "order", ["loss_not_decreasing", "underfitting"], "raise_learning_rate", "plain", True,
          note="an LSTM with Adam lr 1e-6: flat loss; raise the lr"),
    _case(too_small_moons, "order", ["underfitting"], "increase_capacity", "lightning", True,
          note="a 2-unit hidden layer on moons: plateau below a bigger net's accuracy"),
    _case(large_finite_float64, "numerics", [], None, "lightning", True,
          note="float64 layer at ~1e19-1e20 before BatchNorm: fine; 'non_finite' must NOT be reported"),
    _case(nan_zero_std_inputs, "numerics", ["non_finite"], "check_data_and_loss", "plain", True,
          note="standardising with std 0 columns (no eps): NaN inputs, NaN loss from step 0; fix the data"),
    _case(functional_tanh_saturated, "coverage", ["saturation"], "check_initialization", "lightning", True,
          note="torch.tanh in forward with std-1 weights: saturated, no nn.Tanh to hook; fix the init"),
    _case(seed_overfitting_wine, "seed", ["overfitting"], "reduce_capacity", "plain", True,
          note="270k parameters on 40 wine rows for 150 epochs; reduce capacity"),
    _case(noise_label_plateau_lightning, "noise", [], None, "lightning", True,
          note="30% random digits labels: a plateau at the ceiling; no underfitting"),
    _case(noise_val_wobble_moons, "noise", [], None, "lightning", True,
          note="moons at noise 0.3, converged: val wobble only; no overfitting"),
    _case(h_noisy_labels_20, "healthy", [], None, "plain", True, note="20% noisy training labels, clean val"),
    _case(h_gru_sunspots, "healthy", [], None, "plain", True, note="a GRU forecaster on standardised sunspots"),
    _case(h_moons_gelu, "healthy", [], None, "lightning", True, note="a GELU MLP on moons, warmup + cosine"),
    _case(h_friedman_clip, "healthy", [], None, "lightning", True, note="Friedman #1 with clipping at 1.0"),
    # ---- round 3 (fresh): written after round 2's thresholds were fixed ----
    *[_case(fn, cls, expect, action, loop, note=note, fresh=True) for fn, cls, expect, action, loop, note in [
        (f_softmax_ce_transformer, "loss_metric", ["probabilities_into_logit_loss"], "check_loss_inputs", "lightning",
         "a transformer ending in nn.Softmax into CrossEntropyLoss"),
        (f_misaligned_val_wine, "loss_metric", ["labels_misaligned"], "check_data_pipeline", "plain",
         "validation labels sorted apart from their rows"),
        (f_unshuffled_moons, "loss_metric", ["unshuffled_data"], "shuffle_data", "plain",
         "moons sorted by class, never shuffled"),
        (f_unnormalised_cnn, "scale", INPUT_PROBLEMS, "normalize_inputs", "lightning",
         "pixels ×10 (0..160) into a tanh CNN"),
        (f_unscaled_targets_macro, "scale", ["unscaled_targets"], "standardize_targets", "plain",
         "raw real GDP (~7000) as an MSE target"),
        (f_wd_sgd_cnn, "regularisation", ["weight_decay_too_high"], "reduce_weight_decay", "lightning",
         "SGD weight_decay=0.5 on a CNN"),
        (f_deep_plain_tanh_cancer, "order", ["vanishing_gradients", "loss_not_decreasing"], "add_skip_connections",
         "plain", "16 plain tanh layers on breast cancer"),
        (f_low_lr_transformer, "order", ["loss_not_decreasing", "underfitting"], "raise_learning_rate", "plain",
         "AdamW at 1e-7 on a transformer"),
        (f_exploding_gru, "seed", HIGH_LR, "lower_learning_rate", "lightning", "a GRU with SGD lr 3"),
        (f_dead_bias_wine, "seed", ["dead_units"], "check_initialization", "plain", "ReLU biases initialised at -5"),
        (f_overfit_digits_small, "seed", ["overfitting"], "reduce_capacity", "lightning",
         "2M parameters on 120 digits images for 80 epochs"),
        (f_bottleneck_digits, "order", ["underfitting"], "increase_capacity", "lightning",
         "a 4-unit middle layer for 10 classes"),
        (f_h_label_smoothing, "healthy", [], None, "plain", "label smoothing 0.1: a loss floor near 0.5"),
        (f_h_onecycle, "healthy", [], None, "lightning", "SGD with OneCycleLR"),
        (f_h_noisy_binary, "noise", [], None, "plain", "15 % flipped binary labels, train and val"),
        (f_h_small_batch_wine, "healthy", [], None, "lightning", "batch size 4"),
        (f_h_macro_regression, "healthy", [], None, "plain", "standardised macro regression"),
        (f_h_residual_sgd, "healthy", [], None, "lightning", "12 residual blocks with SGD and step decay"),
        (f_h_lstm_sunspots, "healthy", [], None, "lightning", "an LSTM forecaster with clipping"),
    ]],
]

FAULTS = [c for c in CASES if c.cls not in ("healthy", "noise") and c.expect]
QUIET = [c for c in CASES if c.cls in ("healthy", "noise")]
BY_NAME = {c.name: c for c in CASES}
