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
    blind: bool = False       # round 4: written blind (without reading the detectors or any results); never tuned on
    round: int = 0            # the round a case was written in where it matters for the benchmark's parts (5: blind5, 6: blind6)


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
        every: int = 10, loop: str = "plain", on_epoch: Callable | None = None) -> archwise.Monitor:
    """Train ``model`` on ``train`` = (x, y), evaluating on ``val``; the Monitor (or callback) around it.

    ``opt(params)`` makes the optimizer (Adam at ``lr`` by default); ``sched(optimizer, total_steps)``
    an LR scheduler stepped per optimizer step; ``task`` is "classify", "binary" or "regress" (no metric);
    ``prob`` says the model outputs probabilities (the binary threshold is then 0.5); ``on_epoch(optimizer,
    val_loss)`` (plain loop only) runs after each epoch's evaluation, e.g. to step ReduceLROnPlateau, and
    stops training when it returns True (early stopping).
    """
    loss_fn = loss_fn or (nn.CrossEntropyLoss() if task == "classify" else nn.BCEWithLogitsLoss()
                          if task == "binary" else nn.MSELoss())
    opt = opt or (lambda params: torch.optim.Adam(params, lr=lr))
    total = epochs * math.ceil(len(train[0]) / batch / accumulate)
    if loop == "lightning":
        if on_epoch is not None:
            raise ValueError("on_epoch is for the plain loop; use a Lightning callback instead")
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
            if on_epoch is not None and on_epoch(optimizer, vl):
                break
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


# ---- round 4 ("blind"): written without reading the detectors or any benchmark result; never tuned on ----

def co2(seed: int, window: int = 26, fill: bool = True, scale_target: bool = True):
    """statsmodels' weekly Mauna Loa CO2 (1958-2001, 2284 weeks, 59 of them missing): predict next week's ppm
    from the ``window`` weeks before. ``fill`` interpolates the missing weeks (else they stay NaN, as
    ``df["co2"].to_numpy()`` gives them); the series is standardised with pandas' NaN-skipping mean and std;
    ``scale_target`` False keeps the target in raw ppm (~315-370)."""
    import statsmodels.api as sm

    d = sm.datasets.co2.load_pandas().data["co2"]
    raw = (d.interpolate() if fill else d).to_numpy(dtype=np.float64)
    mu, sd = np.nanmean(raw), np.nanstd(raw)
    s = (raw - mu) / sd
    xs = np.stack([s[i:i + window] for i in range(len(s) - window)])
    ys = (s if scale_target else raw)[window:]
    tr, va = _split_idx(len(xs), seed, 0.2)
    return (_t(xs[tr])[..., None], _t(ys[tr])[:, None]), (_t(xs[va])[..., None], _t(ys[va])[:, None])


def elnino(seed: int, window: int = 24):
    """statsmodels' El Niño sea-surface temperatures (monthly, 1950-2010, 732 months, °C ~20-29),
    standardised: predict next month from the ``window`` months before."""
    import statsmodels.api as sm

    d = sm.datasets.elnino.load_pandas().data
    s = d.drop(columns=["YEAR"]).to_numpy(dtype=np.float64).ravel()
    s = (s - s[:int(0.8 * len(s))].mean()) / s[:int(0.8 * len(s))].std()
    xs = np.stack([s[i:i + window] for i in range(len(s) - window)])
    ys = s[window:]
    tr, va = _split_idx(len(xs), seed, 0.2)
    return (_t(xs[tr])[..., None], _t(ys[tr])[:, None]), (_t(xs[va])[..., None], _t(ys[va])[:, None])


def macro_unemp(seed: int, standardise: bool = True):
    """statsmodels' US macro data: the unemployment rate (standardised) from the other series of the same
    quarter; raw, those series run from ~0.1 (the T-bill rate) to ~13000 (real GDP)."""
    import statsmodels.api as sm

    d = sm.datasets.macrodata.load_pandas().data
    y = d["unemp"].to_numpy(dtype=np.float64)
    x = d.drop(columns=["unemp", "year", "quarter"]).to_numpy(dtype=np.float64)
    tr, va = _split_idx(len(x), seed, 0.2)
    xtr, xva = x[tr], x[va]
    if standardise:
        xtr, xva = _standardise(xtr, xva)
    mu, sd = y[tr].mean(), y[tr].std()
    return (_t(xtr), _t((y[tr] - mu) / sd)[:, None]), (_t(xva), _t((y[va] - mu) / sd)[:, None])


class ConvForecaster(nn.Module):
    """Two Conv1d layers over a window of a series (n, window, 1), then a linear read-out."""

    def __init__(self, window: int, ch: int = 16):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(1, ch, 5, padding=2), nn.ReLU(), nn.Conv1d(ch, ch, 5, padding=2), nn.ReLU())
        self.head = nn.Linear(ch * window, 1)

    def forward(self, x):
        return self.head(self.conv(x.transpose(1, 2)).flatten(1))


class FuncCNN(nn.Module):
    """A digits CNN written with F.relu and F.max_pool2d in forward (no activation modules)."""

    def __init__(self, width: int = 16):
        super().__init__()
        self.c1 = nn.Conv2d(1, width, 3, padding=1)
        self.c2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.fc = nn.Linear(2 * width * 16, 64)
        self.out = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.c1(x))
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return self.out(F.relu(self.fc(x.flatten(1))))


class TabTokenTransformer(nn.Module):
    """A tabular transformer: each feature's quantile bin is a token (feature j, bin b → id 8j + b), an
    embedding, a TransformerEncoder, mean-pool, a linear head."""

    def __init__(self, vocab: int, d: int = 16, layers: int = 2, out: int = 1):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        layer = nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.1, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, out)

    def forward(self, x):
        return self.head(self.enc(self.emb(x)).mean(1))


def cancer_tokens(seed: int, bins: int = 8):
    """Breast cancer as tokens: every feature cut at its train-split octiles, token = 8 × feature + bin."""
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    tr, va = _split_idx(len(x), seed)
    edges = [np.quantile(x[tr, j], np.linspace(0, 1, bins + 1)[1:-1]) for j in range(x.shape[1])]
    tok = np.stack([np.searchsorted(edges[j], x[:, j]) + bins * j for j in range(x.shape[1])], 1)
    return (_t(tok[tr], torch.long), _t(y[tr])[:, None]), (_t(tok[va], torch.long), _t(y[va])[:, None])


def _dead_channels(model: nn.Module, x: torch.Tensor, modules: list[nn.Module]) -> list[float]:
    """Per conv/activation module, the fraction of its output channels that are <= 0 at every position of
    every input."""
    seen: dict[int, torch.Tensor] = {}
    hooks = [m.register_forward_hook(
        lambda m, a, o, i=i: seen.__setitem__(i, (o.detach() > 0).transpose(0, 1).flatten(1).any(1)))
        for i, m in enumerate(modules)]
    model.eval()
    with torch.no_grad():
        model(x)
    model.train()
    for h in hooks:
        h.remove()
    return [1.0 - float(seen[i].float().mean()) for i in range(len(modules))]


def _losses(mon: archwise.Monitor) -> list[float]:
    return [s.loss for s in mon.record.steps if s.loss is not None]


def _first_loss(mon: archwise.Monitor) -> float:
    return _losses(mon)[0]


# gate: units killed or saturated early while the loss still falls from an inflated start

def b_gate_adam_lr_relu_cancer(seed: int, loop: str = "plain"):
    """A 30→256→256→1 ReLU MLP on standardised breast cancer with Adam at lr 0.05 (meant 5e-4)."""
    _seed(seed)
    model = mlp([30, 256, 256, 1])
    tr, va = cancer(seed)
    mon = fit(model, tr, va, seed=seed, epochs=20, batch=32, lr=0.05, task="binary", loop=loop)
    dead = _dead_fraction(model, tr[0], [m for m in model if isinstance(m, nn.ReLU)])
    losses = _losses(mon)
    return _with_truth(mon, present=bool(max(dead) >= 0.3), dead=dead, first_loss=losses[0], last_loss=losses[-1])


def b_gate_tanh_randn_friedman(seed: int, loop: str = "plain"):
    """A tanh MLP regressing standardised Friedman #1 with every weight drawn torch.randn-style (std 1)."""
    _seed(seed)
    model = mlp([10, 128, 128, 1], act=nn.Tanh)
    for fc in linears(model):
        nn.init.normal_(fc.weight, std=1.0)
    tr, va = friedman(seed)
    mon = fit(model, tr, va, seed=seed, epochs=15, lr=1e-3, task="regress", loop=loop)
    with torch.no_grad():
        pre1 = model[0](tr[0])
        pre2 = model[2](torch.tanh(pre1))
    sat = [float((pre1.abs() >= 5).float().mean()), float((pre2.abs() >= 5).float().mean())]
    losses = _losses(mon)
    return _with_truth(mon, present=bool(max(sat) >= 0.3), saturated=sat, first_loss=losses[0], last_loss=losses[-1])


def b_gate_sgd_lr_relu_cnn(seed: int, loop: str = "plain"):
    """A digits CNN without BatchNorm on pixels / 16, SGD momentum 0.9 at lr 0.2: the loss falls in the first
    epoch while the big updates kill most conv channels, then it climbs back (lr 0.1 trains to 0.99)."""
    _seed(seed)
    model = CNN(bn=False, width=32)
    tr, va = digits(seed, scale="unit", shape="image")
    mon = fit(model, tr, va, seed=seed, epochs=6, batch=32, opt=sgd(0.2), loop=loop)
    dead = _dead_channels(model, tr[0], [m for m in model.features if isinstance(m, nn.ReLU)])
    losses = _losses(mon)
    return _with_truth(mon, present=bool(max(dead) >= 0.3), dead=dead, first_loss=losses[0], last_loss=losses[-1])


def b_gate_sigmoid_std3_wine(seed: int, loop: str = "plain"):
    """A sigmoid MLP on wine with weights drawn normal(std 3) (an init copied from a paper's figure) and SGD:
    the first loss is ~10-25 (log 3 is 1.1), train falls to ~0 but val stalls near 0.75-0.8 accuracy."""
    _seed(seed)
    model = mlp([13, 128, 128, 3], act=nn.Sigmoid)
    for fc in linears(model):
        nn.init.normal_(fc.weight, std=3.0)
    tr, va = wine(seed)
    mon = fit(model, tr, va, seed=seed, epochs=30, batch=16, opt=sgd(0.01), loop=loop)
    with torch.no_grad():
        pre1 = model[0](tr[0])
        pre2 = model[2](torch.sigmoid(pre1))
    sat = [float((pre1.abs() >= 5).float().mean()), float((pre2.abs() >= 5).float().mean())]
    losses = _losses(mon)
    return _with_truth(mon, present=bool(max(sat) >= 0.3), saturated=sat, first_loss=losses[0], last_loss=losses[-1])


# loss/metric

def b_sigmoid_into_bce_logits(seed: int, loop: str = "lightning"):
    """nn.Sigmoid() at the end of a breast-cancer MLP, trained with nn.BCEWithLogitsLoss (which applies a
    sigmoid again); accuracy thresholds the 'probabilities' at 0.5."""
    _seed(seed)
    model = mlp([30, 64, 64, 1], last=nn.Sigmoid())
    tr, va = cancer(seed)
    mon = fit(model, tr, va, seed=seed, epochs=25, batch=32, lr=1e-3, task="binary", prob=True, loop=loop)
    with torch.no_grad():
        p = model(tr[0])
    e = mon.record.epochs[-1]
    y = tr[1]
    floor = float((y * F.softplus(torch.tensor(-1.0)) + (1 - y) * F.softplus(torch.tensor(0.0))).mean())
    return _with_truth(mon, train_loss=e.train_loss, loss_floor=floor, train_acc=e.train_metric, val_acc=e.val_metric,
                       output_range=[float(p.min()), float(p.max())])


def b_misaligned_train_wine(seed: int, loop: str = "plain"):
    """Wine whose training labels were shuffled in a second call with another random state (X and y split
    apart); validation is intact: train is memorised, val stays near chance."""
    _seed(seed)
    (x, y), va = wine(seed)
    y = y[torch.randperm(len(y), generator=torch.Generator().manual_seed(100 + seed))]
    mon = fit(mlp([13, 256, 256, 3]), (x, y), va, seed=seed, epochs=60, batch=16, lr=2e-3, loop=loop)
    e = mon.record.epochs[-1]
    return _with_truth(mon, present=bool(e.val_metric <= 0.55), train_acc=e.train_metric, val_acc=e.val_metric)


def b_unshuffled_rows_gru(seed: int, loop: str = "lightning"):
    """A GRU reading digit rows, trained on the label-sorted training set with DataLoader(shuffle=False)."""
    _seed(seed)
    tr, va = digits(seed, scale="unit", shape="rows")
    tr = by_label(tr)
    mon = fit(RowRNN("gru", 64), tr, va, seed=seed, epochs=8, lr=3e-3, shuffle=False, loop=loop)
    per_batch = [len(torch.unique(tr[1][i:i + 64])) for i in range(0, len(tr[1]), 64)]
    # the same GRU trained on shuffled batches reaches 0.9 val accuracy in these 8 epochs
    return _with_truth(mon, present=bool(_val_acc(mon) < 0.8), labels_per_batch=float(np.mean(per_batch)),
                       val_acc=_val_acc(mon))


# scale

def b_raw_macro_inputs(seed: int, loop: str = "plain"):
    """The (standardised) unemployment rate from the raw macro series of the same quarter (real GDP ~7000,
    the T-bill rate ~5) into a ReLU MLP with Adam: the first loss is in the thousands for a unit-variance
    target, and the fit ends far worse than the mean."""
    _seed(seed)
    tr, va = macro_unemp(seed, standardise=False)
    mon = fit(mlp([11, 64, 64, 1]), tr, va, seed=seed, epochs=40, batch=16, lr=1e-3, task="regress", loop=loop)
    val = mon.record.epochs[-1].val_loss
    return _with_truth(mon, present=bool(val > 1.0), input_max=float(tr[0].abs().max()), first_loss=_first_loss(mon),
                       final_val_loss=val)


def b_unscaled_targets_co2(seed: int, loop: str = "lightning"):
    """A Conv1d forecaster on standardised weekly CO2 windows whose target stayed in raw ppm (~315-370)."""
    _seed(seed)
    tr, va = co2(seed, scale_target=False)
    mon = fit(ConvForecaster(26), tr, va, seed=seed, epochs=10, lr=1e-3, task="regress", loop=loop)
    return _with_truth(mon, target_mean=float(tr[1].mean()), target_var=float(tr[1].var()),
                       first_loss=_first_loss(mon), final_val_loss=mon.record.epochs[-1].val_loss)


# regularisation

def b_wd_adamw_10_transformer(seed: int, loop: str = "lightning"):
    """A row transformer with AdamW(lr 3e-3, weight_decay=10) (an L2 strength typed into a decoupled decay)."""
    _seed(seed)
    model = RowTransformer()
    tr, va = digits(seed, shape="rows")
    w0 = _weight_norm(model)
    mon = fit(model, tr, va, seed=seed, epochs=8, opt=adamw(3e-3, 10.0), loop=loop)
    w1 = _weight_norm(model)
    return _with_truth(mon, present=bool(w1 < 0.5 * w0), weight_norm_start=w0, weight_norm_end=w1,
                       val_acc=_val_acc(mon))


def b_wd_sgd_gru_sunspots(seed: int, loop: str = "plain"):
    """A GRU forecaster on standardised sunspots with SGD(lr 0.05, momentum 0.9, weight_decay=0.3)."""
    _seed(seed)
    model = Forecaster("gru")
    tr, va = sunspots(seed)
    w0 = _weight_norm(model)
    mon = fit(model, tr, va, seed=seed, epochs=25, batch=32, opt=sgd(0.05, wd=0.3), task="regress", loop=loop)
    w1 = _weight_norm(model)
    # the same GRU and SGD with weight_decay 0 or 5e-4: weight norm 5.9 → ~7.2, val loss 0.18-0.24
    return _with_truth(mon, present=bool(w1 < 0.5 * w0), weight_norm_start=w0, weight_norm_end=w1,
                       final_val_loss=mon.record.epochs[-1].val_loss)


# order

def b_deep_plain_relu_cnn(seed: int, loop: str = "lightning"):
    """A plain 14-conv ReLU CNN (default init, no BatchNorm, no skips) with SGD momentum at 0.01."""
    _seed(seed)
    model = CNN(bn=False, depth=14, width=16)
    tr, va = digits(seed, shape="image")
    mon = fit(model, tr, va, seed=seed, epochs=4, opt=sgd(0.01), loop=loop)
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    model.zero_grad()
    F.cross_entropy(model(tr[0][:256]), tr[1][:256]).backward()
    g = [float(c.weight.grad.norm()) for c in convs]
    model.zero_grad()
    losses = _losses(mon)
    return _with_truth(mon, present=bool(g[0] / g[-1] < 1e-2), grad_first_over_last=g[0] / g[-1],
                       first_loss=losses[0], last_loss=losses[-1], val_acc=_val_acc(mon))


def b_low_lr_gru_rows(seed: int, loop: str = "plain"):
    """A GRU on digit rows with Adam at 5e-7 (meant 5e-4)."""
    _seed(seed)
    tr, va = digits(seed, scale="unit", shape="rows")
    mon = fit(RowRNN("gru", 64), tr, va, seed=seed, epochs=5, lr=5e-7, loop=loop)
    e = mon.record.epochs
    return _with_truth(mon, present=bool(e[-1].train_loss > 0.97 * e[0].train_loss),
                       train_loss_first_epoch=e[0].train_loss, train_loss_last_epoch=e[-1].train_loss,
                       val_acc=_val_acc(mon))


def b_frozen_encoder_never_loaded(seed: int, loop: str = "lightning"):
    """A row transformer set up for fine-tuning: the encoder (input projection, positions, 2 layers) frozen,
    but its pretrained checkpoint was never loaded (load_state_dict(strict=False) matched no key), so a
    random encoder feeds the only trainable part, the 32→10 head (330 of ~17k parameters)."""
    _seed(seed)
    model = RowTransformer(d=32, dropout=0.0)
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith("head"))
    tr, va = digits(seed, shape="rows")
    mon = fit(model, tr, va, seed=seed, epochs=12, loop=loop,
              opt=lambda p: torch.optim.Adam([q for q in p if q.requires_grad], lr=1e-2))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    e = mon.record.epochs
    return _with_truth(_underfit_truth(mon), trainable_fraction=trainable / sum(p.numel() for p in model.parameters()),
                       val_acc=_val_acc(mon), last4_loss_drop=e[-5].train_loss - e[-1].train_loss)


def b_too_small_gru(seed: int, loop: str = "plain"):
    """A GRU with 3 hidden units reading digit rows (a config meant for a 3-feature sensor series), trained
    for 40 epochs to a plateau near 0.7."""
    _seed(seed)
    tr, va = digits(seed, scale="unit", shape="rows")
    mon = fit(RowRNN("gru", 3), tr, va, seed=seed, epochs=40, lr=3e-2, loop=loop)
    e = mon.record.epochs
    return _with_truth(_underfit_truth(mon), val_acc=_val_acc(mon), last8_loss_drop=e[-9].train_loss - e[-1].train_loss)


# numerics

def b_nan_co2_missing_weeks(seed: int, loop: str = "plain"):
    """Weekly CO2 with its 59 missing weeks left as NaN (no interpolate/dropna) into a GRU forecaster."""
    _seed(seed)
    tr, va = co2(seed, fill=False)
    mon = fit(Forecaster("gru"), tr, va, seed=seed, epochs=4, lr=3e-3, task="regress", loop=loop)
    return _with_truth(mon, nan_windows=float(torch.isnan(tr[0]).any(1).float().mean()),
                       first_loss=_first_loss(mon))


def b_nan_log_features_cancer(seed: int, loop: str = "plain"):
    """Breast-cancer features log-transformed to tame their skew (np.log, no +1): the 13 tumours with
    concavity 0 give -inf, standardising turns the columns into NaN."""
    _seed(seed)
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.log(x)
        tr, va = _split_idx(len(x), seed)
        mu, sd = x[tr].mean(0), x[tr].std(0)
        xtr, xva = (x[tr] - mu) / sd, (x[va] - mu) / sd
    mon = fit(mlp([30, 64, 64, 1]), (_t(xtr), _t(y[tr])[:, None]), (_t(xva), _t(y[va])[:, None]), seed=seed,
              epochs=10, batch=32, lr=1e-3, task="binary", loop=loop)
    return _with_truth(mon, nonfinite_inputs=float(np.mean(~np.isfinite(xtr))),
                       first_loss=_first_loss(mon))


def b_inf_mape_sunspots(seed: int, loop: str = "plain"):
    """A GRU forecasting raw sunspot counts (MAPE is scale-free, so the target was left raw) with a
    hand-written MAPE loss, |y - ŷ| / |y|: 1810, a year with 0 sunspots, is a training target and divides
    by zero."""
    _seed(seed)
    (x, y), (xv, yv) = sunspots(seed, scale=False)
    x, xv = (x - 50.0) / 40.0, (xv - 50.0) / 40.0

    def mape(out, target):
        return ((out - target).abs() / target.abs()).mean()
    mon = fit(Forecaster("gru"), (x, y), (xv, yv), seed=seed, epochs=10, batch=32, lr=3e-3, loss_fn=mape,
              task="regress", loop=loop)
    losses = _losses(mon)
    bad = [i for i, v in enumerate(losses) if not math.isfinite(v)]
    return _with_truth(mon, zero_targets=int((y == 0).sum()), first_loss=losses[0],
                       first_nonfinite_step=bad[0] if bad else None)


# coverage

def b_functional_relu_cnn_dead(seed: int, loop: str = "plain"):
    """A CNN written with F.relu whose init loop sets every bias to -1 'so only strong features fire'."""
    _seed(seed)
    model = FuncCNN()
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)) and m is not model.out:
            nn.init.constant_(m.bias, -1.0)
    tr, va = digits(seed, shape="image")
    mon = fit(model, tr, va, seed=seed, epochs=6, lr=1e-3, loop=loop)
    dead = _dead_channels(model, tr[0], [model.c1, model.c2, model.fc])
    return _with_truth(mon, present=bool(max(dead) >= 0.3), dead=dead, val_acc=_val_acc(mon))


def _gru_gate_saturation(rnn: nn.GRU, x: torch.Tensor, at: float = 5.0) -> dict[str, float]:
    """Steps a one-layer batch-first nn.GRU by hand over ``x`` and returns, per gate (reset r, update z,
    candidate n), the fraction of pre-activations with |value| >= ``at`` (sigmoid'/tanh' below ~0.007)."""
    hid = rnn.hidden_size
    wi, wh, bi, bh = rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0
    h = torch.zeros(len(x), hid)
    sat: dict[str, list[float]] = {"r": [], "z": [], "n": []}
    with torch.no_grad():
        for t in range(x.shape[1]):
            gi, gh = x[:, t] @ wi.T + bi, h @ wh.T + bh
            r_pre, z_pre = gi[:, :hid] + gh[:, :hid], gi[:, hid:2 * hid] + gh[:, hid:2 * hid]
            n_pre = gi[:, 2 * hid:] + torch.sigmoid(r_pre) * gh[:, 2 * hid:]
            z = torch.sigmoid(z_pre)
            h = (1 - z) * torch.tanh(n_pre) + z * h
            for k, v in (("r", r_pre), ("z", z_pre), ("n", n_pre)):
                sat[k].append(float((v.abs() >= at).float().mean()))
    return {k: float(np.mean(v)) for k, v in sat.items()}


def b_gru_randn_saturated(seed: int, loop: str = "lightning"):
    """A GRU forecaster on standardised El Niño temperatures whose GRU weights were all re-drawn with
    'for p in model.rnn.parameters(): nn.init.normal_(p)' (std 1): over a third of the gate pre-activations
    sit beyond ±5, inside nn.GRU where no activation module can be hooked (a healthy GRU: none, val loss ~0.06)."""
    _seed(seed)
    model = Forecaster("gru", 64)
    for p in model.rnn.parameters():
        nn.init.normal_(p, std=1.0)
    tr, va = elnino(seed)
    mon = fit(model, tr, va, seed=seed, epochs=15, batch=32, lr=1e-3, task="regress", loop=loop)
    sat = _gru_gate_saturation(model.rnn, tr[0])
    return _with_truth(mon, present=bool(max(sat.values()) >= 0.25), gate_saturation=sat,
                       final_val_loss=mon.record.epochs[-1].val_loss)


# the seed's own

def b_exploding_diabetes_sgd(seed: int, loop: str = "lightning"):
    """Standardised diabetes regression with SGD momentum 0.9 at lr 1.0 (an lr-range test's upper end kept)."""
    _seed(seed)
    tr, va = diabetes(seed)
    mon = fit(mlp([10, 64, 64, 1]), tr, va, seed=seed, epochs=20, batch=32, opt=sgd(1.0), task="regress", loop=loop)
    losses = _losses(mon)
    finite = [v for v in losses if math.isfinite(v)]
    exploded = bool(len(finite) < len(losses) or max(finite) >= 10 * losses[0])
    return _with_truth(mon, present=exploded, first_loss=losses[0], max_loss=max(finite) if finite else float("nan"),
                       nonfinite_steps=len(losses) - len(finite))


def b_overfit_cnn_tiny(seed: int, loop: str = "plain"):
    """A CNN on only 100 digits images (20 % of their labels wrong) for 50 epochs: train accuracy 1.0, the
    wrong labels memorised, val accuracy stuck 15-25 points below."""
    _seed(seed)
    (x, y), va = digits(seed, shape="image")
    return _overfit_truth(fit(CNN(), (x[:100], noisy(y[:100], 0.2, 10, seed)), va, seed=seed, epochs=50,
                              batch=20, lr=1e-3, loop=loop))


def b_underfit_cnn_three_epochs(seed: int, loop: str = "plain"):
    """A CNN trained for 3 epochs of plain SGD at 0.002 (a smoke-test config left in): the loss still falls
    fast when training stops."""
    _seed(seed)
    tr, va = digits(seed, shape="image")
    mon = fit(CNN(), tr, va, seed=seed, epochs=3, batch=32, opt=sgd(0.002, momentum=0.0), loop=loop)
    e = mon.record.epochs
    return _with_truth(_underfit_truth(mon), still_falling=bool(e[-1].train_loss < e[-2].train_loss - 0.05),
                       train_losses=[a.train_loss for a in e])


# quiet: alarming-looking runs that are fine

def b_h_conv1d_co2(seed: int, loop: str = "lightning"):
    """A Conv1d forecaster on weekly CO2 (missing weeks interpolated, standardised): a strong trend and
    season, an easy fit with a tiny final loss."""
    _seed(seed)
    tr, va = co2(seed)
    return fit(ConvForecaster(26), tr, va, seed=seed, epochs=8, lr=1e-3, task="regress", loop=loop)


def b_h_gru_elnino(seed: int, loop: str = "plain"):
    """A GRU forecaster on standardised El Niño monthly temperatures: seasonal and noisy, a jumpy val loss."""
    _seed(seed)
    tr, va = elnino(seed)
    return fit(Forecaster("gru"), tr, va, seed=seed, epochs=20, batch=32, lr=3e-3, task="regress", loop=loop)


def _early_stopping(patience: int):
    state = {"best": float("inf"), "bad": 0}

    def on_epoch(optimizer, val_loss):
        if val_loss < state["best"] - 1e-4:
            state["best"], state["bad"] = val_loss, 0
        else:
            state["bad"] += 1
        return state["bad"] >= patience
    return on_epoch


def b_h_wide_elu_early_stop(seed: int, loop: str = "plain"):
    """A wide, shallow ELU MLP (64→1024→10) on digits with early stopping (patience 3 on the val loss)."""
    _seed(seed)
    tr, va = digits(seed)
    return fit(mlp([64, 1024, 10], act=nn.ELU), tr, va, seed=seed, epochs=40, lr=1e-3, on_epoch=_early_stopping(3),
               loop=loop)


def b_h_leaky_reduce_on_plateau(seed: int, loop: str = "plain"):
    """A LeakyReLU MLP on standardised Friedman #1 with Adam at 1e-2 and ReduceLROnPlateau(factor 0.3,
    patience 2) on the val loss: the lr drops twice, the loss settles on the noise floor."""
    _seed(seed)
    tr, va = friedman(seed)
    sched = {}

    def on_epoch(optimizer, val_loss):
        if "s" not in sched:
            sched["s"] = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.3, patience=2)
        sched["s"].step(val_loss)
        return False
    return fit(mlp([10, 128, 128, 1], act=lambda: nn.LeakyReLU(0.1)), tr, va, seed=seed, epochs=20, lr=1e-2,
               task="regress", on_epoch=on_epoch, loop=loop)


def b_h_linear_probe(seed: int, loop: str = "plain"):
    """A linear probe: an MLP body pretrained on half the digits training set, then frozen on purpose, and
    a fresh 128→10 head trained on the other half; it reaches high accuracy."""
    _seed(seed)
    (x, y), va = digits(seed)
    half = len(x) // 2
    body = mlp([64, 256, 128], last=nn.ReLU())
    pre = nn.Sequential(body, nn.Linear(128, 10))
    opt = torch.optim.Adam(pre.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    for _ in range(8):                                     # upstream training (not monitored)
        order = torch.randperm(half, generator=g)
        for i in range(0, half, 64):
            idx = order[i:i + 64]
            opt.zero_grad()
            F.cross_entropy(pre(x[idx]), y[idx]).backward()
            opt.step()
    for p in body.parameters():
        p.requires_grad_(False)
    model = nn.Sequential(body, nn.Linear(128, 10))
    return fit(model, (x[half:], y[half:]), va, seed=seed, epochs=15, loop=loop,
               opt=lambda p: torch.optim.Adam([q for q in p if q.requires_grad], lr=3e-3))


def b_h_cancer_pos_weight(seed: int, loop: str = "lightning"):
    """Imbalanced breast cancer: malignant made the positive class and only a quarter of its training rows
    kept (~12 % positive), BCEWithLogitsLoss(pos_weight = negatives / positives ≈ 7), a small MLP with
    dropout and AdamW: the weighted loss starts high and the val loss sits well above the train loss."""
    _seed(seed)
    (x, y), (xv, yv) = cancer(seed)
    y, yv = 1 - y, 1 - yv                                  # scikit-learn codes malignant as 0
    g = torch.Generator().manual_seed(700 + seed)
    keep = (y[:, 0] == 0) | (torch.rand(len(y), generator=g) < 0.25)
    x, y = x[keep], y[keep]
    pos_weight = (y == 0).sum() / (y == 1).sum()
    return fit(mlp([30, 32, 1], dropout=0.2), (x, y), (xv, yv), seed=seed, epochs=20, batch=32, opt=adamw(1e-3, 1e-2),
               task="binary", loss_fn=nn.BCEWithLogitsLoss(pos_weight=pos_weight), loop=loop)


def b_h_tab_tokens_transformer_warmup(seed: int, loop: str = "lightning"):
    """A tabular transformer over breast cancer as 30 binned-feature tokens, AdamW with a linear warmup
    then cosine decay: the loss sits near log 2 during warmup, then drops."""
    _seed(seed)
    tr, va = cancer_tokens(seed)
    return fit(TabTokenTransformer(30 * 8), tr, va, seed=seed, epochs=10, batch=32, opt=adamw(2e-3, 1e-2),
               sched=warmup_cosine(0.1), task="binary", loop=loop)


def karate(seed: int):
    """networkx's Zachary karate club: 34 members, the two clubs after the split as labels, a stratified half
    of the members labelled for training; the normalised adjacency Â = D^-1/2 (A + I) D^-1/2."""
    import networkx as nx

    g = nx.karate_club_graph()
    n = g.number_of_nodes()
    a = torch.tensor(nx.to_numpy_array(g, nodelist=range(n)) > 0, dtype=torch.float32) + torch.eye(n)
    d = a.sum(1).rsqrt()
    a_hat = d[:, None] * a * d[None, :]
    y = torch.tensor([int(g.nodes[i]["club"] != "Mr. Hi") for i in range(n)])
    rng = np.random.default_rng(seed)
    train = torch.zeros(n, dtype=torch.bool)
    for c in (0, 1):
        members = np.flatnonzero(y.numpy() == c)
        train[rng.choice(members, len(members) // 2, replace=False)] = True
    return a_hat, y, train


class GCN(nn.Module):
    """Two graph-convolution layers in plain torch: Â relu(Â X W1) W2 (Kipf & Welling), F.relu between."""

    def __init__(self, a_hat: torch.Tensor, inp: int, hidden: int, classes: int, dropout: float = 0.5):
        super().__init__()
        self.register_buffer("a_hat", a_hat)
        self.fc1, self.fc2 = nn.Linear(inp, hidden), nn.Linear(hidden, classes)
        self.dropout = dropout

    def forward(self, x):
        h = F.relu(self.a_hat @ self.fc1(x))
        h = F.dropout(h, self.dropout, self.training)
        return self.a_hat @ self.fc2(h)


def b_h_gcn_karate(seed: int, loop: str = "plain"):
    """A two-layer GCN on the karate club (one-hot node features, 17 labelled members), full-batch Adam with
    weight decay 5e-4 for 100 epochs: a 17-node validation set makes the val curves jumpy."""
    _seed(seed)
    a_hat, y, train = karate(seed)
    x = torch.eye(len(y))
    model = GCN(a_hat, len(y), 16, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=5e-4)
    mon = archwise.Monitor(model, opt, every=5, n_train=int(train.sum()))
    with mon:
        for _ in range(100):
            out = model(x)
            loss = F.cross_entropy(out[train], y[train])
            opt.zero_grad()
            loss.backward()
            opt.step()
            mon.step(loss)
            model.eval()
            with torch.no_grad():
                out = model(x)
            model.train()
            acc = (out.argmax(1) == y).float()
            mon.log_epoch(train_loss=float(F.cross_entropy(out[train], y[train])),
                          val_loss=float(F.cross_entropy(out[~train], y[~train])),
                          train_metric=float(acc[train].mean()), val_metric=float(acc[~train].mean()))
    return mon


# ---- round 5 ("blind5"): written blind, like round 4, on other data, architectures and optimizers ---------------

def fair(seed: int, standardise: bool = True):
    """statsmodels' Fair (1974) affairs survey (6366 × 8): features as given (rating 1-5, age 17-42, years
    married 0.5-23, ...) and ``affairs`` (a time measure, 0 for 68 % of the women, up to ~57)."""
    import statsmodels.api as sm

    d = sm.datasets.fair.load_pandas().data
    x = d.drop(columns=["affairs"]).to_numpy(dtype=np.float64)
    y = d["affairs"].to_numpy(dtype=np.float64)
    tr, va = _split_idx(len(x), seed)
    xtr, xva = x[tr], x[va]
    if standardise:
        xtr, xva = _standardise(xtr, xva)
    return (xtr, y[tr]), (xva, y[va])


def grunfeld(seed: int, standardise: bool = True):
    """statsmodels' Grunfeld investment panel (220 firm-years): gross investment (standardised target) from
    the firm's market value (~30-6200), its capital stock (~1-2200) and the year (1935-1954), as read."""
    import statsmodels.api as sm

    d = sm.datasets.grunfeld.load_pandas().data
    x = d[["value", "capital", "year"]].to_numpy(dtype=np.float64)
    y = d["invest"].to_numpy(dtype=np.float64)
    tr, va = _split_idx(len(x), seed, 0.2)
    xtr, xva = x[tr], x[va]
    if standardise:
        xtr, xva = _standardise(xtr, xva)
    mu, sd = y[tr].mean(), y[tr].std()
    return (_t(xtr), _t((y[tr] - mu) / sd)[:, None]), (_t(xva), _t((y[va] - mu) / sd)[:, None])


def blobs_cls(seed: int, n: int = 3000, features: int = 20, informative: int = 8, classes: int = 4,
              weights=None, flip: float = 0.01, sep: float = 1.0):
    """scikit-learn's make_classification (``informative`` of ``features`` informative, ``flip`` of the labels
    random, classes ``sep`` apart), standardised."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n, n_features=features, n_informative=informative, n_redundant=2,
                               n_classes=classes, weights=weights, flip_y=flip, class_sep=sep, random_state=seed)
    tr, va = _split_idx(n, seed)
    xtr, xva = _standardise(x[tr], x[va])
    return (_t(xtr), _t(y[tr], torch.long)), (_t(xva), _t(y[va], torch.long))


def circles(seed: int, n: int = 2000, noise: float = 0.08, factor: float = 0.5):
    from sklearn.datasets import make_circles

    x, y = make_circles(n, noise=noise, factor=factor, random_state=seed)
    tr, va = _split_idx(n, seed)
    return (_t(x[tr]), _t(y[tr], torch.long)), (_t(x[va]), _t(y[va], torch.long))


def iris(seed: int):
    """scikit-learn's iris (150 × 4, 3 classes), standardised."""
    from sklearn.datasets import load_iris
    return _tabular(load_iris, seed)


def _saturated(pre: torch.Tensor, at: float = 5.0) -> float:
    return float((pre.abs() >= at).float().mean())


class BiLSTMClassifier(nn.Module):
    """A bidirectional LSTM over a sequence (n, steps, features); the two final states into a linear head."""

    def __init__(self, features: int, hidden: int = 32, classes: int = 10):
        super().__init__()
        self.rnn = nn.LSTM(features, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        out = self.rnn(x)[0]
        h = self.rnn.hidden_size
        return self.head(torch.cat([out[:, -1, :h], out[:, 0, h:]], 1))


class MultiTask(nn.Module):
    """A shared trunk written with torch.sigmoid in forward, a class head and a regression head."""

    def __init__(self, inp: int, width: int, classes: int):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(inp, width), nn.Linear(width, width)
        self.cls, self.reg = nn.Linear(width, classes), nn.Linear(width, 1)

    def trunk(self, x):
        return torch.sigmoid(self.fc2(torch.sigmoid(self.fc1(x))))

    def forward(self, x):
        h = self.trunk(x)
        return torch.cat([self.cls(h), self.reg(h)], 1)


class AutoEncoder(nn.Module):
    def __init__(self, sizes, act=nn.ReLU):
        super().__init__()
        self.enc = mlp(sizes, act=act)
        self.dec = mlp(sizes[::-1], act=act)

    def forward(self, x):
        return self.dec(self.enc(x))


# gate

def r5_gate_rmsprop_lr_relu_blobs(seed: int, loop: str = "plain"):
    """A 20→256→256→4 ReLU MLP on make_classification with RMSprop at lr 0.01 (Keras-style 'rmsprop' tuned for
    another model; 1e-3 or lower is usual): the first updates kill a large part of the ReLUs."""
    _seed(seed)
    model = mlp([20, 256, 256, 4])
    tr, va = blobs_cls(seed)
    mon = fit(model, tr, va, seed=seed, epochs=8, batch=64, loop=loop,
              opt=lambda p: torch.optim.RMSprop(p, lr=0.01))
    dead = _dead_fraction(model, tr[0], [m for m in model if isinstance(m, nn.ReLU)])
    losses = _losses(mon)
    return _with_truth(mon, present=bool(max(dead) >= 0.3), dead=dead, first_loss=losses[0], max_loss=max(losses),
                       last_loss=losses[-1], val_acc=_val_acc(mon))


def r5_gate_tanh_xavier_gain_blobs(seed: int, loop: str = "lightning"):
    """A tanh MLP on make_classification initialised with nn.init.xavier_normal_(w, gain=8) ('a bigger init
    trains faster'): a large part of the hidden pre-activations sit beyond ±5."""
    _seed(seed)
    model = mlp([20, 128, 128, 4], act=nn.Tanh)
    for fc in linears(model):
        nn.init.xavier_normal_(fc.weight, gain=8.0)
    tr, va = blobs_cls(seed)
    mon = fit(model, tr, va, seed=seed, epochs=10, batch=64, lr=1e-3, loop=loop)
    with torch.no_grad():
        h, sat = tr[0], []
        for fc in linears(model)[:-1]:
            pre = fc(h)
            sat.append(_saturated(pre))
            h = torch.tanh(pre)
    losses = _losses(mon)
    # the same tanh MLP with the default init (seeds 0-2): val accuracy 0.65-0.72, val loss 0.74-0.86
    return _with_truth(mon, present=bool(max(sat) >= 0.3), saturated=sat, first_loss=losses[0], last_loss=losses[-1],
                       val_acc=_val_acc(mon))


# loss/metric

class _SoftmaxHead(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return F.softmax(self.body(x), dim=1)


def r5_functional_softmax_ce_iris(seed: int, loop: str = "plain"):
    """An iris MLP whose forward returns F.softmax(logits, dim=1) ('the model should output probabilities'),
    trained with nn.CrossEntropyLoss: accuracy is fine, the loss cannot go below ~0.55."""
    _seed(seed)
    model = _SoftmaxHead(mlp([4, 64, 64, 3]))
    tr, va = iris(seed)
    mon = fit(model, tr, va, seed=seed, epochs=60, batch=16, lr=3e-3, loop=loop)
    e = mon.record.epochs[-1]
    with torch.no_grad():
        p = model(tr[0])
    floor = float(-F.log_softmax(torch.tensor([1.0, 0.0, 0.0]), 0)[0])
    return _with_truth(mon, train_loss=e.train_loss, loss_floor=floor, train_acc=e.train_metric,
                       val_acc=e.val_metric, max_prob=float(p.max()))


def r5_misaligned_split_blobs(seed: int, loop: str = "lightning"):
    """X and y split with two train_test_split calls of different random_state (X_train from one, y_train from
    the other): the training pairs are mismatched, validation is intact."""
    _seed(seed)
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    x, y = make_classification(3000, n_features=20, n_informative=8, n_redundant=2, n_classes=4, random_state=seed)
    xtr, xva, ytrue, yva = train_test_split(x, y, test_size=0.25, random_state=seed)
    _, _, ytr, _ = train_test_split(x, y, test_size=0.25, random_state=seed + 1)
    xtr, xva = _standardise(xtr, xva)
    mon = fit(mlp([20, 256, 128, 4]), (_t(xtr), _t(ytr, torch.long)), (_t(xva), _t(yva, torch.long)), seed=seed,
              epochs=15, batch=64, lr=2e-3, loop=loop)
    e = mon.record.epochs[-1]
    return _with_truth(mon, present=bool(e.val_metric <= 0.4), label_agreement=float(np.mean(ytr == ytrue)),
                       train_acc=e.train_metric, val_acc=e.val_metric)


def r5_unshuffled_blobs(seed: int, loop: str = "lightning"):
    """A 4-class make_classification table saved sorted by class (a groupby export) and a DataLoader without
    shuffle: every epoch walks class 0, then 1, 2, 3, and ends on ~12 batches of class 3 only."""
    _seed(seed)
    tr, va = blobs_cls(seed)
    tr = by_label(tr)
    mon = fit(mlp([20, 128, 128, 4]), tr, va, seed=seed, epochs=8, batch=64, lr=1e-3, shuffle=False, loop=loop)
    per_batch = [len(torch.unique(tr[1][i:i + 64])) for i in range(0, len(tr[1]), 64)]
    # the same MLP on shuffled batches after 8 epochs (seeds 0-2): train accuracy 0.83-0.85, val 0.75-0.82,
    # val loss 0.54-0.62
    e = mon.record.epochs[-1]
    return _with_truth(mon, present=bool(e.train_metric < 0.7), labels_per_batch=float(np.mean(per_batch)),
                       train_acc=e.train_metric, val_acc=e.val_metric, val_loss=e.val_loss)


# scale

def r5_raw_grunfeld_tanh(seed: int, loop: str = "plain"):
    """Grunfeld investment (standardised) from the raw market value, capital stock and calendar year (1935-1954)
    into a tanh MLP: the year column alone puts every first-layer unit at ±1."""
    _seed(seed)
    tr, va = grunfeld(seed, standardise=False)
    model = mlp([3, 64, 64, 1], act=nn.Tanh)
    mon = fit(model, tr, va, seed=seed, epochs=60, batch=16, lr=1e-3, task="regress", loop=loop)
    with torch.no_grad():
        sat = _saturated(model[0](tr[0]))
    val = mon.record.epochs[-1].val_loss
    # the same MLP on standardised inputs (seeds 0-2): val MSE 0.27, 0.14, 0.18
    return _with_truth(mon, present=bool(sat >= 0.3 and val > 0.3), saturated_layer1=sat,
                       input_max=float(tr[0].abs().max()), first_loss=_first_loss(mon), final_val_loss=val)


def r5_unscaled_targets_resmlp(seed: int, loop: str = "lightning"):
    """A residual MLP (pre-norm blocks) on make_regression with standardised features but the raw target
    (std ~200, values to ±700): MSE starts in the tens of thousands."""
    _seed(seed)
    from sklearn.datasets import make_regression

    x, y = make_regression(3000, n_features=20, n_informative=12, noise=10.0, random_state=seed)
    tr, va = _split_idx(len(x), seed, 0.2)
    xtr, xva = _standardise(x[tr], x[va])
    mon = fit(ResMLP(20, 64, 3, 1), (_t(xtr), _t(y[tr])[:, None]), (_t(xva), _t(y[va])[:, None]), seed=seed,
              epochs=8, batch=64, lr=1e-3, task="regress", loop=loop)
    e = mon.record.epochs
    return _with_truth(mon, target_std=float(y[tr].std()), first_loss=_first_loss(mon),
                       final_val_loss=e[-1].val_loss, final_over_var=e[-1].val_loss / float(y[va].var()))


# regularisation

def r5_wd_adagrad_blobs(seed: int, loop: str = "plain"):
    """Adagrad(lr 0.05, weight_decay=0.5) on a make_classification MLP: a coupled L2 of 0.5 (meant 5e-4)."""
    _seed(seed)
    model = mlp([20, 128, 128, 4])
    tr, va = blobs_cls(seed)
    w0 = _weight_norm(model)
    mon = fit(model, tr, va, seed=seed, epochs=10, batch=64, loop=loop,
              opt=lambda p: torch.optim.Adagrad(p, lr=0.05, weight_decay=0.5))
    w1 = _weight_norm(model)
    e = mon.record.epochs
    return _with_truth(mon, present=bool(w1 < 0.5 * w0), weight_norm_start=w0, weight_norm_end=w1,
                       train_acc=e[-1].train_metric, val_acc=e[-1].val_metric)


# order

def r5_deep_plain_silu_circles(seed: int, loop: str = "plain"):
    """A plain 16-layer SiLU MLP (default init, no normalisation, no skips) on make_circles, SGD momentum 0.01."""
    _seed(seed)
    model = mlp([2] + [64] * 15 + [2], act=nn.SiLU)
    tr, va = circles(seed)
    mon = fit(model, tr, va, seed=seed, epochs=8, batch=32, opt=sgd(0.01), loop=loop)
    fcs = linears(model)
    model.zero_grad()
    F.cross_entropy(model(tr[0]), tr[1]).backward()
    g = [float(fc.weight.grad.norm()) for fc in fcs]
    model.zero_grad()
    losses = _losses(mon)
    return _with_truth(mon, present=bool(g[0] / g[-1] < 1e-2 and _val_acc(mon) < 0.7),
                       grad_first_over_last=g[0] / g[-1],
                       first_loss=losses[0], last_loss=losses[-1], val_acc=_val_acc(mon))


def r5_low_lr_adagrad_bilstm(seed: int, loop: str = "lightning"):
    """A bidirectional LSTM over the 8 columns of each digit with Adagrad at lr 1e-4 (the default is 1e-2;
    Adagrad's steps only shrink from there)."""
    _seed(seed)
    (x, y), (xv, yv) = digits(seed, scale="unit", shape="rows")
    tr, va = (x.transpose(1, 2).contiguous(), y), (xv.transpose(1, 2).contiguous(), yv)
    mon = fit(BiLSTMClassifier(8, 32), tr, va, seed=seed, epochs=6, batch=32, loop=loop,
              opt=lambda p: torch.optim.Adagrad(p, lr=1e-4))
    e = mon.record.epochs
    return _with_truth(mon, present=bool(e[-1].train_loss > 0.95 * e[0].train_loss),
                       train_loss_first_epoch=e[0].train_loss, train_loss_last_epoch=e[-1].train_loss,
                       val_acc=_val_acc(mon))


def r5_too_small_circles(seed: int, loop: str = "plain"):
    """Two hidden ReLU units for make_circles (a ring needs at least three half-planes): a plateau near 0.75."""
    _seed(seed)
    tr, va = circles(seed)
    mon = fit(mlp([2, 2, 2]), tr, va, seed=seed, epochs=30, batch=32, lr=1e-2, loop=loop)
    e = mon.record.epochs
    return _with_truth(_underfit_truth(mon), val_acc=_val_acc(mon),
                       last10_loss_drop=e[-11].train_loss - e[-1].train_loss)


# numerics

def r5_nan_log_target_fair(seed: int, loop: str = "plain"):
    """Regressing log(affairs) on the Fair survey to tame its skew, with np.log and no +1: 68 % of the targets
    are log(0) = -inf, the MSE is inf from the first batch and the weights turn NaN."""
    _seed(seed)
    (x, a), (xv, av) = fair(seed)
    with np.errstate(divide="ignore"):
        y, yv = np.log(a), np.log(av)
    mon = fit(mlp([8, 64, 64, 1]), (_t(x), _t(y)[:, None]), (_t(xv), _t(yv)[:, None]), seed=seed, epochs=3,
              batch=64, lr=1e-3, task="regress", loop=loop)
    losses = _losses(mon)
    return _with_truth(mon, nonfinite_targets=float(np.mean(~np.isfinite(y))), first_loss=losses[0],
                       finite_steps=sum(math.isfinite(v) for v in losses))


# coverage

def r5_multitask_sigmoid_randn(seed: int, loop: str = "plain"):
    """A two-headed model (class + a regression target) whose parameters were all initialised with
    'for p in model.parameters(): nn.init.normal_(p)' (std 1): its torch.sigmoid trunk is saturated, and no
    activation module exists to hook."""
    _seed(seed)
    from sklearn.datasets import make_classification

    x, y = make_classification(3000, n_features=20, n_informative=8, n_redundant=2, n_classes=3, random_state=seed)
    r = x[:, :4].sum(1) + 0.3 * np.random.default_rng(seed).standard_normal(len(x))
    tr, va = _split_idx(len(x), seed)
    xtr, xva = _standardise(x[tr], x[va])
    rm, rs = r[tr].mean(), r[tr].std()
    model = MultiTask(20, 256, 3)
    for p in model.parameters():
        nn.init.normal_(p)

    def loss_fn(out, t):
        return F.cross_entropy(out[:, :3], t[:, 0].long()) + F.mse_loss(out[:, 3], t[:, 1])

    def targets(idx):
        return torch.stack([_t(y[idx]), _t((r[idx] - rm) / rs)], 1)
    train, val = (_t(xtr), targets(tr)), (_t(xva), targets(va))
    mon = fit(model, train, val, seed=seed, epochs=10, batch=64, lr=1e-3, loss_fn=loss_fn, task="regress", loop=loop)
    with torch.no_grad():
        pre1 = model.fc1(train[0])
        pre2 = model.fc2(torch.sigmoid(pre1))
        acc = float((model(val[0])[:, :3].argmax(1) == val[1][:, 0].long()).float().mean())
    sat = [_saturated(pre1), _saturated(pre2)]
    # the same model with PyTorch's default init (seeds 0-2): val loss 0.64-0.84, class accuracy 0.63-0.76
    return _with_truth(mon, present=bool(max(sat) >= 0.3), saturated=sat, val_class_acc=acc,
                       final_val_loss=mon.record.epochs[-1].val_loss)


# the seed's own

def r5_exploding_sgd_conv1d(seed: int, loop: str = "plain"):
    """A Conv1d forecaster on standardised El Niño windows with SGD momentum 0.9 at lr 0.5 (a value for a
    normalised classification net, carried over)."""
    _seed(seed)
    tr, va = elnino(seed)
    mon = fit(ConvForecaster(24), tr, va, seed=seed, epochs=10, batch=32, opt=sgd(0.5), task="regress", loop=loop)
    losses = _losses(mon)
    finite = [v for v in losses if math.isfinite(v)]
    exploded = bool(len(finite) < len(losses) or max(finite) >= 10 * losses[0])
    return _with_truth(mon, present=exploded, first_loss=losses[0], max_loss=max(finite) if finite else float("nan"),
                       nonfinite_steps=len(losses) - len(finite))


def r5_overfit_wide_blobs_small(seed: int, loop: str = "lightning"):
    """A 40-feature make_classification task with only 120 labelled rows, a 40→256→256→3 MLP, 80 epochs:
    train accuracy 1.0, val far below and its loss climbing."""
    _seed(seed)
    from sklearn.datasets import make_classification

    x, y = make_classification(1120, n_features=40, n_informative=10, n_redundant=5, n_classes=3, flip_y=0.05,
                               random_state=seed)
    xtr, xva = _standardise(x[:120], x[120:])
    return _overfit_truth(fit(mlp([40, 256, 256, 3]), (_t(xtr), _t(y[:120], torch.long)),
                              (_t(xva), _t(y[120:], torch.long)), seed=seed, epochs=80, batch=32, lr=1e-3, loop=loop))


def r5_underfit_bilstm_two_epochs(seed: int, loop: str = "plain"):
    """A bidirectional LSTM on digit columns stopped after 2 epochs of RMSprop at 1e-3 (a debug config): the loss
    still falls fast."""
    _seed(seed)
    (x, y), (xv, yv) = digits(seed, scale="unit", shape="rows")
    tr, va = (x.transpose(1, 2).contiguous(), y), (xv.transpose(1, 2).contiguous(), yv)
    mon = fit(BiLSTMClassifier(8, 32), tr, va, seed=seed, epochs=2, batch=32, loop=loop,
              opt=lambda p: torch.optim.RMSprop(p, lr=1e-3))
    e = mon.record.epochs
    return _with_truth(_underfit_truth(mon), still_falling=bool(e[-1].train_loss < e[-2].train_loss - 0.05),
                       train_losses=[a.train_loss for a in e])


# quiet: alarming-looking runs that are fine

def r5_h_warm_restarts(seed: int, loop: str = "plain"):
    """SGD momentum 0.9 at 0.1 with CosineAnnealingWarmRestarts (3 cycles): the loss jumps back up at every
    restart, then falls lower."""
    _seed(seed)
    tr, va = blobs_cls(seed, sep=1.5)

    def sched(optimizer, total):
        return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=max(1, total // 3))
    return fit(mlp([20, 64, 64, 4]), tr, va, seed=seed, epochs=12, batch=64, opt=sgd(0.1, wd=5e-4), sched=sched,
               loop=loop)


def r5_h_dropout_reversed_gap(seed: int, loop: str = "lightning"):
    """Heavy dropout (0.5 after each layer) on make_classification: the train loss (with dropout) sits above the
    val loss the whole run, a reversed gap."""
    _seed(seed)
    tr, va = blobs_cls(seed, flip=0.05)
    return fit(mlp([20, 256, 256, 4], dropout=0.5), tr, va, seed=seed, epochs=15, batch=64, opt=adamw(1e-3, 1e-2),
               loop=loop)


def r5_h_autoencoder_swiss_roll(seed: int, loop: str = "plain"):
    """An autoencoder (3→64→64→2→64→64→3) on a noisy swiss roll (noise 1.0, standardised): the
    reconstruction MSE flattens at the noise the 2-D code cannot carry."""
    _seed(seed)
    from sklearn.datasets import make_swiss_roll

    x, _ = make_swiss_roll(3000, noise=1.0, random_state=seed)
    tr, va = _split_idx(len(x), seed, 0.2)
    xtr, xva = _standardise(x[tr], x[va])
    xtr, xva = _t(xtr), _t(xva)
    return fit(AutoEncoder([3, 64, 64, 2]), (xtr, xtr), (xva, xva), seed=seed, epochs=12, batch=64, lr=2e-3,
               task="regress", loop=loop)


def r5_h_heavy_tail_regression(seed: int, loop: str = "lightning"):
    """make_regression with Student-t (df 2.5) noise, target standardised: a few huge residuals make the batch
    MSE jump by 10× from step to step; the fit is as good as the noise allows."""
    _seed(seed)
    from sklearn.datasets import make_regression

    x, y = make_regression(3000, n_features=10, n_informative=6, noise=0.0, random_state=seed)
    y = y + 40.0 * np.random.default_rng(seed).standard_t(2.5, len(y))
    tr, va = _split_idx(len(x), seed, 0.2)
    xtr, xva = _standardise(x[tr], x[va])
    mu, sd = y[tr].mean(), y[tr].std()
    return fit(mlp([10, 64, 64, 1]), (_t(xtr), _t((y[tr] - mu) / sd)[:, None]),
               (_t(xva), _t((y[va] - mu) / sd)[:, None]), seed=seed, epochs=10, batch=32, lr=1e-3, task="regress",
               loop=loop)


def r5_h_weighted_imbalanced(seed: int, loop: str = "plain"):
    """Three classes at 80/15/5 %, CrossEntropyLoss(weight = inverse frequency): the weighted loss looks high
    and jumpy for the rare class, accuracy sits near the majority rate early, then the model is good."""
    _seed(seed)
    tr, va = blobs_cls(seed, classes=3, weights=[0.8, 0.15, 0.05], sep=1.5)
    counts = torch.bincount(tr[1], minlength=3).float()
    w = counts.sum() / (3 * counts)
    return fit(mlp([20, 64, 64, 3]), tr, va, seed=seed, epochs=12, batch=64, lr=1e-3,
               loss_fn=nn.CrossEntropyLoss(weight=w), loop=loop)


def r5_h_bilstm_clipped(seed: int, loop: str = "lightning"):
    """A bidirectional LSTM over digit columns with Adam and gradient clipping at 0.5 (clipping active on most
    early steps)."""
    _seed(seed)
    (x, y), (xv, yv) = digits(seed, scale="unit", shape="rows")
    tr, va = (x.transpose(1, 2).contiguous(), y), (xv.transpose(1, 2).contiguous(), yv)
    return fit(BiLSTMClassifier(8, 32), tr, va, seed=seed, epochs=8, batch=32, lr=3e-3, clip=0.5, loop=loop)


def r5_h_iris_small_batch_rmsprop(seed: int, loop: str = "plain"):
    """Iris with batch size 8 and RMSprop at 1e-3: a very noisy per-step loss, a 38-row val set with 2-3
    mistakes."""
    _seed(seed)
    tr, va = iris(seed)
    return fit(mlp([4, 32, 32, 3]), tr, va, seed=seed, epochs=40, batch=8, loop=loop,
               opt=lambda p: torch.optim.RMSprop(p, lr=1e-3))


# ---- round 6 ("blind6"): written blind, like rounds 4-5, on other data, architectures and optimizers ----------

def anes96(seed: int, standardise: bool = True):
    """statsmodels' ANES 1996 (944 voters): the vote (1 = Dole) from population of the place (0-7300, in
    thousands), TV news days, self / Clinton / Dole left-right placements, party id, age (19-91), education and
    income (1-24), as read; binary targets as (n, 1) floats."""
    import statsmodels.api as sm

    d = sm.datasets.anes96.load_pandas().data
    x = d[["popul", "TVnews", "selfLR", "ClinLR", "DoleLR", "PID", "age", "educ", "income"]].to_numpy(np.float64)
    y = d["vote"].to_numpy(dtype=np.float64)
    tr, va = _split_idx(len(x), seed)
    xtr, xva = x[tr], x[va]
    if standardise:
        xtr, xva = _standardise(xtr, xva)
    return (_t(xtr), _t(y[tr])[:, None]), (_t(xva), _t(y[va])[:, None])


def nile(seed: int, window: int = 8, scale_target: bool = True):
    """statsmodels' Nile annual flow at Aswan (1871-1970, 456-1370 1e8 m³): the next year from ``window`` years;
    inputs standardised with the series' train-part mean and std, the target optionally."""
    import statsmodels.api as sm

    s = sm.datasets.nile.load_pandas().data["volume"].to_numpy(dtype=np.float64)
    xs = np.stack([s[i:i + window] for i in range(len(s) - window)])
    ys = s[window:]
    mu, sd = s[:80].mean(), s[:80].std()
    xs = (xs - mu) / sd
    if scale_target:
        ys = (ys - mu) / sd
    tr, va = _split_idx(len(xs), seed, 0.2)
    return (_t(xs[tr]), _t(ys[tr])[:, None]), (_t(xs[va]), _t(ys[va])[:, None])


def blobs3(seed: int, n: int = 3000, features: int = 10, std: float = 2.5):
    """scikit-learn's make_blobs: 3 overlapping Gaussian clusters in ``features`` dimensions, standardised."""
    from sklearn.datasets import make_blobs

    x, y = make_blobs(n, n_features=features, centers=3, cluster_std=std, random_state=seed)
    tr, va = _split_idx(n, seed)
    xtr, xva = _standardise(x[tr], x[va])
    return (_t(xtr), _t(y[tr], torch.long)), (_t(xva), _t(y[va], torch.long))


def s_curve(seed: int, n: int = 3000, noise: float = 0.05):
    """scikit-learn's make_s_curve: regress the curve position t (standardised) from the 3-D point."""
    from sklearn.datasets import make_s_curve

    x, t = make_s_curve(n, noise=noise, random_state=seed)
    tr, va = _split_idx(n, seed, 0.2)
    xtr, xva = _standardise(x[tr], x[va])
    mu, sd = t[tr].mean(), t[tr].std()
    return (_t(xtr), _t((t[tr] - mu) / sd)[:, None]), (_t(xva), _t((t[va] - mu) / sd)[:, None])


def digit_rows_varlen(seed: int):
    """Digits as variable-length row sequences: the image's blank rows at the bottom dropped, zero-padded back
    to 8 rows (pixels / 16); (x, y) splits like :func:`digits`."""
    (x, y), (xv, yv) = digits(seed, scale="unit", shape="rows")

    def trim(a):
        a = a.clone()
        g = torch.Generator().manual_seed(seed)
        # a random 0-3 trailing rows are cut from each image (a ragged sequence set), then padded with zeros
        cut = torch.randint(0, 4, (len(a),), generator=g)
        for i, c in enumerate(cut.tolist()):
            if c:
                a[i, 8 - c:] = 0.0
        return a
    return (trim(x), y), (trim(xv), yv)


class PackedGRU(nn.Module):
    """A GRU seq2one over zero-padded sequences: lengths from the non-zero rows, pack_padded_sequence, the
    last real step's hidden state into a linear head."""

    def __init__(self, features: int = 8, hidden: int = 48, classes: int = 10):
        super().__init__()
        self.rnn = nn.GRU(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        nonzero = (x.abs().sum(-1) > 0)
        steps = torch.arange(1, x.shape[1] + 1).expand_as(nonzero)
        lengths = (steps * nonzero).max(1).values.clamp(min=1)
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        return self.head(self.rnn(packed)[1][-1])


class GNCNN(nn.Module):
    """Two 3×3 convs with GroupNorm(4 groups) and ReLU, a max-pool and a linear head over 8×8 digits;
    ``detach_features`` detaches the conv features before the head."""

    def __init__(self, width: int = 16, bottleneck: int = 0, detach_features: bool = False):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, width, 3, padding=1), nn.GroupNorm(4, width), nn.ReLU(),
                                      nn.Conv2d(width, width, 3, padding=1), nn.GroupNorm(4, width), nn.ReLU(),
                                      nn.MaxPool2d(2), nn.Flatten())
        self.proj = nn.Linear(width * 16, bottleneck) if bottleneck else nn.Identity()
        self.head = nn.Linear(bottleneck or width * 16, 10)
        self.detach_features = detach_features

    def forward(self, x):
        h = self.proj(self.features(x))
        if self.detach_features:
            h = h.detach()
        return self.head(h)


class GLUMLP(nn.Module):
    """A gated MLP: each block is F.glu(Linear(d, 2h)(x)) (value × sigmoid(gate)), written functionally."""

    def __init__(self, sizes):
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(a, 2 * b) for a, b in zip(sizes[:-2], sizes[1:-1]))
        self.head = nn.Linear(sizes[-2], sizes[-1])

    def forward(self, x):
        for fc in self.fcs:
            x = F.glu(fc(x), dim=-1)
        return self.head(x)


class TokenEncoder(nn.Module):
    """Token + position embeddings, a 2-layer nn.TransformerEncoder with a key padding mask (pad id 0), mean
    over the real tokens, a linear head."""

    def __init__(self, vocab: int, length: int, d: int = 32, classes: int = 10, causal: bool = False):
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.pos = nn.Parameter(torch.zeros(1, length, d))
        layer = nn.TransformerEncoderLayer(d, 4, 2 * d, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)
        self.causal = causal

    def forward(self, x):
        pad = x == 0
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1]) if self.causal else None
        h = self.enc(self.emb(x) + self.pos[:, :x.shape[1]], mask=mask, src_key_padding_mask=pad,
                     is_causal=self.causal)
        if self.causal:
            return self.head(h)
        keep = (~pad).float()[..., None]
        return self.head((h * keep).sum(1) / keep.sum(1))


# gate

def r6_gate_nadam_lr_relu_blobs(seed: int, loop: str = "plain"):
    """A 10→256→256→3 ReLU MLP on make_blobs with NAdam at lr 0.05 (50× its default; 'NAdam converges faster'):
    the first updates push a large part of the ReLUs dead."""
    _seed(seed)
    model = mlp([10, 256, 256, 3])
    tr, va = blobs3(seed, std=6.0)
    mon = fit(model, tr, va, seed=seed, epochs=8, batch=64, loop=loop,
              opt=lambda p: torch.optim.NAdam(p, lr=0.05))
    dead = _dead_fraction(model, tr[0], [m for m in model if isinstance(m, nn.ReLU)])
    losses = _losses(mon)
    return _with_truth(mon, present=bool(max(dead) >= 0.3), dead=dead, first_loss=losses[0],
                       max_loss=max(v for v in losses if math.isfinite(v)), last_loss=losses[-1],
                       val_acc=_val_acc(mon))


# loss/metric

def r6_misaligned_val_packed_gru(seed: int, loop: str = "lightning"):
    """A packed-sequence GRU on ragged digit rows; the validation sequences were sorted by length for
    pack_padded_sequence(enforce_sorted=True) in the eval script, their labels were not."""
    _seed(seed)
    tr, (xv, yv) = digit_rows_varlen(seed)
    lengths = (xv.abs().sum(-1) > 0).float().sum(1)
    xv = xv[torch.argsort(lengths, descending=True, stable=True)]
    mon = fit(PackedGRU(), tr, (xv, yv), seed=seed, epochs=6, batch=64, lr=5e-3, loop=loop)
    e = mon.record.epochs[-1]
    return _with_truth(mon, present=bool(e.train_metric >= 0.7 and e.val_metric <= 0.3),
                       train_acc=e.train_metric, val_acc=e.val_metric)


# scale

def r6_raw_anes96_tanh(seed: int, loop: str = "plain"):
    """The 1996 vote from the raw ANES columns (population in thousands up to 7300, age 19-91, income 1-24)
    into a tanh MLP with SGD (Nesterov momentum 0.9, lr 0.01)."""
    _seed(seed)
    tr, va = anes96(seed, standardise=False)
    model = mlp([9, 64, 64, 1], act=nn.Tanh)
    mon = fit(model, tr, va, seed=seed, epochs=30, batch=32, task="binary", loop=loop,
              opt=lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True))
    with torch.no_grad():
        sat = _saturated(model[0](tr[0]))
    e = mon.record.epochs[-1]
    # the same MLP on standardised inputs: see the case note
    return _with_truth(mon, present=bool(sat >= 0.3 and e.val_metric < 0.85), saturated_layer1=sat,
                       input_max=float(tr[0].abs().max()), val_acc=e.val_metric, val_loss=e.val_loss)


def r6_unscaled_targets_nile(seed: int, loop: str = "lightning"):
    """Nile flow windows standardised with StandardScaler on X only, the next year's flow (456-1370) left raw
    as the MSE target, an MLP with Adamax."""
    _seed(seed)
    tr, va = nile(seed, scale_target=False)
    mon = fit(mlp([8, 64, 64, 1]), tr, va, seed=seed, epochs=40, batch=16, task="regress", loop=loop,
              opt=lambda p: torch.optim.Adamax(p, lr=2e-3))
    e = mon.record.epochs
    var = float(va[1].var())
    return _with_truth(mon, present=bool(e[-1].val_loss > 1.5 * var), target_mean=float(tr[1].mean()),
                       first_loss=_first_loss(mon), final_val_loss=e[-1].val_loss,
                       final_over_var=e[-1].val_loss / var)


# regularisation

def r6_wd_radam_glu_blobs(seed: int, loop: str = "plain"):
    """RAdam(lr 3e-3, weight_decay=0.3) on a gated (GLU) MLP: RAdam's weight_decay is a coupled L2, and 0.3 was
    meant as an AdamW decoupled value of 3e-4 ×1000."""
    _seed(seed)
    model = GLUMLP([10, 128, 128, 3])
    tr, va = blobs3(seed)
    w0 = _weight_norm(model)
    mon = fit(model, tr, va, seed=seed, epochs=10, batch=64, loop=loop,
              opt=lambda p: torch.optim.RAdam(p, lr=3e-3, weight_decay=0.3))
    w1 = _weight_norm(model)
    e = mon.record.epochs[-1]
    return _with_truth(mon, present=bool(w1 < 0.5 * w0 and e.val_metric < 0.9), weight_norm_start=w0,
                       weight_norm_end=w1, train_acc=e.train_metric, val_acc=e.val_metric)


# order

def r6_sched_per_batch_s_curve(seed: int, loop: str = "lightning"):
    """ExponentialLR(gamma=0.9) meant per epoch but stepped after every batch (75 a epoch): the lr of Adam is
    1e-3 × 0.9^75 ≈ 4e-7 after the first epoch; regressing the S-curve position."""
    _seed(seed)
    tr, va = s_curve(seed)

    def sched(optimizer, total):
        return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    mon = fit(mlp([3, 128, 128, 1]), tr, va, seed=seed, epochs=10, batch=32, lr=1e-3, sched=sched,
              task="regress", loop=loop)
    e = mon.record.epochs
    return _with_truth(mon, present=bool(e[-1].val_loss > 0.1), lr_end=1e-3 * 0.9 ** (10 * 75),
                       val_loss_first_epoch=e[0].val_loss, val_loss_last_epoch=e[-1].val_loss)


def r6_detached_features_gncnn(seed: int, loop: str = "plain"):
    """A GroupNorm CNN whose forward does feats = self.proj(self.features(x)).detach() (copied from a
    feature-extraction snippet): the convs and the 256→8 projection never get a gradient; only the 8→10 head
    learns."""
    _seed(seed)
    model = GNCNN(bottleneck=8, detach_features=True)
    w0 = [p.detach().clone() for p in model.features.parameters()]
    tr, va = digits(seed, shape="image")
    mon = fit(model, tr, va, seed=seed, epochs=8, batch=32, lr=2e-3, loop=loop)
    moved = max(float((p.detach() - q).abs().max()) for p, q in zip(model.features.parameters(), w0))
    e = mon.record.epochs[-1]
    return _with_truth(_underfit_truth(mon), conv_weights_moved=moved, val_acc=e.val_metric)


# numerics

def _pixel_tokens(seed: int, keep: int = 12):
    """Digits as token sequences: the positions (1-64) of pixels >= 12, right-padded with 0 to the longest
    sequence, then cut to the LAST ``keep`` tokens ('keep the most recent tokens'), which for short sequences
    keeps padding only."""
    (x, y), (xv, yv) = digits(seed, scale="raw")

    def tok(a):
        pos = torch.arange(1, 65).expand_as(a)
        ids = torch.sort(torch.where(a >= 12, pos, 1000), dim=1).values  # ascending positions, then padding
        ids = torch.where(ids == 1000, torch.zeros_like(ids), ids)[:, :longest]
        return ids[:, -keep:]
    longest = int((torch.cat([x, xv]) >= 12).sum(1).max())
    return (tok(x), y), (tok(xv), yv)


def r6_nan_all_padding_transformer(seed: int, loop: str = "plain"):
    """A token transformer on the bright-pixel positions of digits, right-padded then truncated to the last 12
    tokens: images with 11 or fewer bright pixels keep padding only, their key padding mask masks every key
    and attention's softmax over all -inf is NaN."""
    _seed(seed)
    tr, va = _pixel_tokens(seed)
    mon = fit(TokenEncoder(65, 12), tr, va, seed=seed, epochs=3, batch=64, lr=1e-3, loop=loop)
    losses = _losses(mon)
    return _with_truth(mon, all_padding_rows=float((tr[0] == 0).all(1).float().mean()), first_loss=losses[0],
                       finite_steps=sum(math.isfinite(v) for v in losses))


# coverage

def r6_glu_normal_init_saturated(seed: int, loop: str = "plain"):
    """A gated (F.glu) MLP initialised with 'for p in model.parameters(): nn.init.normal_(p, std=1.0)' on make_classification: the
    sigmoid gates (inside F.glu, no module to hook) are stuck at 0 or 1."""
    _seed(seed)
    model = GLUMLP([20, 128, 128, 4])
    for p in model.parameters():
        nn.init.normal_(p, std=1.0)
    tr, va = blobs_cls(seed)
    mon = fit(model, tr, va, seed=seed, epochs=10, batch=64, lr=1e-3, loop=loop)
    with torch.no_grad():
        h, sat = tr[0], []
        for fc in model.fcs:
            a, b = fc(h).chunk(2, -1)
            sat.append(_saturated(b))
            h = a * torch.sigmoid(b)
    e = mon.record.epochs[-1]
    return _with_truth(mon, present=bool(max(sat) >= 0.3 and e.val_loss > 0.8), gate_saturated=sat,
                       first_loss=_first_loss(mon), val_loss=e.val_loss, val_acc=e.val_metric)


# the seed's own

def r6_exploding_nesterov_regression(seed: int, loop: str = "lightning"):
    """SGD(lr 0.2, momentum 0.9, nesterov=True) on a standardised make_regression MLP (a classification lr
    carried over to MSE)."""
    _seed(seed)
    from sklearn.datasets import make_regression

    x, y = make_regression(2000, n_features=15, n_informative=10, noise=5.0, random_state=seed)
    tr, va = _split_idx(len(x), seed, 0.2)
    xtr, xva = _standardise(x[tr], x[va])
    mu, sd = y[tr].mean(), y[tr].std()
    mon = fit(mlp([15, 128, 128, 1]), (_t(xtr), _t((y[tr] - mu) / sd)[:, None]),
              (_t(xva), _t((y[va] - mu) / sd)[:, None]), seed=seed, epochs=5, batch=32, task="regress", loop=loop,
              opt=lambda p: torch.optim.SGD(p, lr=0.2, momentum=0.9, nesterov=True))
    losses = _losses(mon)
    finite = [v for v in losses if math.isfinite(v)]
    exploded = bool(len(finite) < len(losses) or max(finite) >= 10 * losses[0])
    return _with_truth(mon, present=exploded, first_loss=losses[0], max_loss=max(finite) if finite else float("nan"),
                       nonfinite_steps=len(losses) - len(finite))


# quiet: alarming-looking runs that are fine

def r6_h_gncnn_linear_warmup(seed: int, loop: str = "lightning"):
    """A GroupNorm CNN with Adamax and a LinearLR warmup from 1 % over the first 30 % of steps: the loss hardly
    moves for the first epochs, then drops."""
    _seed(seed)
    tr, va = digits(seed, shape="image")

    def sched(optimizer, total):
        return torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.01, total_iters=max(1, int(0.3 * total)))
    return fit(GNCNN(), tr, va, seed=seed, epochs=6, batch=32, sched=sched, loop=loop,
               opt=lambda p: torch.optim.Adamax(p, lr=4e-3))


class ConvAE(nn.Module):
    """A Conv2d autoencoder on 8×8 digits: 1→16→32 channels with stride-2 convs to 2×2, transposed convs back."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU())
        self.dec = nn.Sequential(nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(16, 1, 4, 2, 1))

    def forward(self, x):
        return self.dec(self.enc(x))


def r6_h_conv_autoencoder_digits(seed: int, loop: str = "plain"):
    """A Conv2d autoencoder on pixels / 16 with MSE: the loss starts small (~0.2), falls to ~0.01 and flattens,
    with tiny gradients; there is no accuracy to look at."""
    _seed(seed)
    (x, _), (xv, _) = digits(seed, scale="unit", shape="image")
    return fit(ConvAE(), (x, x), (xv, xv), seed=seed, epochs=10, batch=32, lr=2e-3, task="regress", loop=loop)


def _markov_tokens(seed: int, n: int = 1500, length: int = 16, vocab: int = 8):
    """Sequences from a random first-order Markov chain (each row of the transition matrix a Dirichlet(0.5)
    draw): next-token targets; the best possible loss is the chain's entropy rate."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(vocab, 0.5), size=vocab)
    seqs = np.zeros((n, length + 1), dtype=np.int64)
    seqs[:, 0] = rng.integers(0, vocab, n)
    for t in range(length):
        cum = p[seqs[:, t]].cumsum(1)
        seqs[:, t + 1] = (rng.random(n)[:, None] > cum).sum(1).clip(0, vocab - 1)
    stat = np.linalg.matrix_power(p, 100)[0]
    entropy = float(-(stat[:, None] * p * np.log(p + 1e-30)).sum())
    x, y = torch.tensor(seqs[:, :-1] + 1), torch.tensor(seqs[:, 1:])  # token ids 1..vocab (0 would be padding)
    k = int(0.8 * n)
    return (x[:k], y[:k]), (x[k:], y[k:]), entropy


class _SeqCE(nn.Module):
    def forward(self, out, y):
        return F.cross_entropy(out.flatten(0, 1), y.flatten())


def r6_h_markov_decoder_entropy_floor(seed: int, loop: str = "plain"):
    """A causal (decoder-style) 2-layer transformer predicting the next token of a random Markov chain: the loss
    flattens at the chain's entropy rate (1.38-1.50 nats for seeds 0-2), far above 0, within the first epoch."""
    _seed(seed)
    tr, va, entropy = _markov_tokens(seed)
    mon = fit(TokenEncoder(9, 16, d=32, classes=8, causal=True), tr, va, seed=seed, epochs=6, batch=64, lr=3e-3,
              loss_fn=_SeqCE(), task="regress", loop=loop)
    return _with_truth(mon, entropy_rate=entropy, final_val_loss=mon.record.epochs[-1].val_loss)


def r6_h_nile_noise_floor(seed: int, loop: str = "lightning"):
    """The Nile flow (inputs and target standardised) from the 8 previous years with a small MLP and Adamax: the
    series is mostly year-to-year noise around its level, so the val MSE flattens at a large share of the
    target variance within a few epochs and stays there."""
    _seed(seed)
    tr, va = nile(seed)
    mon = fit(mlp([8, 32, 1]), tr, va, seed=seed, epochs=40, batch=16, task="regress", loop=loop,
              opt=lambda p: torch.optim.Adamax(p, lr=2e-3))
    return _with_truth(mon, val_var=float(va[1].var()), final_val_loss=mon.record.epochs[-1].val_loss)


# ---- the suite -----------------------------------------------------------------------------------------------

INPUT_PROBLEMS = ("saturation", "dead_units", "loss_not_decreasing", "underfitting")
HIGH_LR = ("exploding_gradients", "divergence", "non_finite")


def _case(fn, cls, expect, action, loop="plain", held_out=False, note="", fresh=False, blind=False, round=0):
    name = fn.__name__
    return Case(name, cls, lambda seed: fn(seed, loop=loop), tuple(expect), action, loop, held_out, fresh,
                note or (fn.__doc__ or "").strip().split("\n")[0], blind, round)


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
    _case(gate_adam_lr_kills_relu, "gate", ["dead_units", *HIGH_LR], "lower_learning_rate",
          note="Adam at lr 0.03: the first updates kill most ReLUs while the loss falls a lot; lower the lr (an "
               "update of 1.09× the weights at step 0 is named exploding_gradients since the round-4 rules: same fix)"),
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
    _case(gate_adam_lr_kills_relu_005, "gate", ["dead_units", *HIGH_LR], "lower_learning_rate", "lightning", True,
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
    # ---- round 4 (fresh, written blind): without reading the detectors, the diagnosis or any result ----
    *[_case(fn, cls, expect, action, loop, note=note, fresh=True, blind=True)
      for fn, cls, expect, action, loop, note in [
        (b_gate_adam_lr_relu_cancer, "gate", ["dead_units", *HIGH_LR], "lower_learning_rate", "plain",
         "Adam at lr 0.05: ~60 % of layer-2 ReLUs die in the first spiky epoch, the loss then falls; the lr killed "
         "them, so lower it"),
        (b_gate_tanh_randn_friedman, "gate", ["saturation"], "check_initialization", "plain",
         "std-1 init of a tanh regressor: ~60 % of layer-2 pre-activations beyond ±5, first MSE 50-150 on a "
         "unit-variance target; fix the init"),
        (b_gate_sgd_lr_relu_cnn, "gate", ["dead_units", *HIGH_LR], "lower_learning_rate", "plain",
         "SGD momentum lr 0.2 on a CNN without BatchNorm: most conv channels die (lr 0.1 trains to 0.99); lower "
         "the lr"),
        (b_gate_sigmoid_std3_wine, "gate", ["saturation"], "check_initialization", "plain",
         "sigmoid MLP with std-3 weights: 60-85 % of pre-activations beyond ±5, first loss ~15 vs log 3; fix "
         "the init"),
        (b_sigmoid_into_bce_logits, "loss_metric", ["probabilities_into_logit_loss"], "check_loss_inputs",
         "lightning", "nn.Sigmoid output into BCEWithLogitsLoss: 99 % accuracy but the loss floors at ~0.46; "
         "drop the sigmoid (or use BCELoss)"),
        (b_misaligned_train_wine, "loss_metric", ["labels_misaligned"], "check_data_pipeline", "plain",
         "train labels shuffled apart from their rows: train memorised to 1.0, val at chance ~0.3; fix the "
         "pipeline, not the model"),
        (b_unshuffled_rows_gru, "loss_metric", ["unshuffled_data"], "shuffle_data", "lightning",
         "label-sorted digits, DataLoader(shuffle=False), a GRU: ~1.4 labels per batch, val 0.4-0.57 where "
         "shuffled reaches 0.9; shuffle"),
        (b_raw_macro_inputs, "scale", INPUT_PROBLEMS, "normalize_inputs", "plain",
         "raw macro series (up to 1.3e4) as inputs: first MSE 2e3-5e5 on a unit-variance target, ends worse "
         "than the mean; standardise the inputs"),
        (b_unscaled_targets_co2, "scale", ["unscaled_targets"], "standardize_targets", "lightning",
         "CO2 target in raw ppm (~340) with MSE: first loss ~1.1e5, still thousands after 10 epochs; "
         "standardise the target"),
        (b_wd_adamw_10_transformer, "regularisation", ["weight_decay_too_high"], "reduce_weight_decay",
         "lightning", "AdamW weight_decay=10: weight norm 18 → ~1.9, val accuracy falls to ~0.2; lower the "
         "weight decay"),
        (b_wd_sgd_gru_sunspots, "regularisation", ["weight_decay_too_high"], "reduce_weight_decay", "plain",
         "SGD weight_decay=0.3 on a GRU: weight norm 5.9 → 1.5, val MSE 0.75-1.2 where the undecayed GRU "
         "reaches 0.2; lower the weight decay"),
        (b_deep_plain_relu_cnn, "order", ["vanishing_gradients", "loss_not_decreasing"], "add_skip_connections",
         "lightning", "14 plain ReLU convs, default init, no BatchNorm: first/last conv gradient ~1e-4, loss flat "
         "at log 10; add skips (or normalisation)"),
        (b_low_lr_gru_rows, "order", ["loss_not_decreasing", "underfitting"], "raise_learning_rate", "plain",
         "Adam at 5e-7 on a default-initialised GRU: the loss does not move from log 10; raise the lr"),
        (b_frozen_encoder_never_loaded, "order", ["underfitting", "loss_not_decreasing"],
         "increase_trainable_capacity", "lightning",
         "a frozen random encoder (checkpoint never loaded), 2 % of parameters trainable: a plateau near 0.58; "
         "unfreeze the encoder"),
        (b_too_small_gru, "order", ["underfitting"], "increase_capacity", "plain",
         "a 3-unit GRU for 10 digit classes, 40 epochs: train ≈ val ≈ 0.7 and flattening; a bigger model"),
        (b_nan_co2_missing_weeks, "numerics", ["non_finite"], "check_data_and_loss", "plain",
         "59 missing CO2 weeks left as NaN: ~14 % of the windows contain NaN, the loss is NaN from step 0; "
         "fix the data"),
        (b_nan_log_features_cancer, "numerics", ["non_finite"], "check_data_and_loss", "plain",
         "np.log of features with zeros: 6 of 30 columns NaN after standardising, NaN loss; fix the data"),
        (b_inf_mape_sunspots, "numerics", ["non_finite"], "check_data_and_loss", "plain",
         "hand-written MAPE with a zero-sunspot year among the targets: division by zero, inf/NaN a few "
         "steps in; fix the loss"),
        (b_functional_relu_cnn_dead, "coverage", ["dead_units"], "check_initialization", "plain",
         "F.relu CNN with every bias initialised at -1: the 64-unit dense layer is 100 % dead, the loss "
         "stays at log 10; fix the init"),
        (b_gru_randn_saturated, "coverage", ["saturation"], "check_initialization", "lightning",
         "nn.init.normal_ on every GRU weight: ~38 % of the r/z gate pre-activations beyond ±5, val MSE 0.3-0.47 "
         "vs 0.06 with the default init; fix the init"),
        (b_exploding_diabetes_sgd, "seed", HIGH_LR, "lower_learning_rate", "lightning",
         "SGD momentum lr 1.0 on a regression MLP: the loss explodes to 1e17+ then NaN in the first epoch; "
         "lower the lr"),
        (b_overfit_cnn_tiny, "seed", ["overfitting"], "reduce_capacity", "plain",
         "a CNN on 100 images with 20 % wrong labels, 50 epochs: train 1.0, val 0.76-0.84; reduce capacity "
         "(or get more data)"),
        (b_underfit_cnn_three_epochs, "seed", ["underfitting"], "train_longer", "plain",
         "3 epochs of SGD 0.002: train ≈ val ≈ 0.83 and the loss falling ~0.3 per epoch; train longer"),
        (b_h_conv1d_co2, "healthy", [], None, "lightning",
         "a Conv1d forecaster on interpolated, standardised CO2: a tiny final loss (~0.006)"),
        (b_h_gru_elnino, "healthy", [], None, "plain", "a GRU forecaster on El Niño temperatures"),
        (b_h_wide_elu_early_stop, "healthy", [], None, "plain",
         "a wide one-hidden-layer ELU MLP stopped early (patience 3)"),
        (b_h_leaky_reduce_on_plateau, "healthy", [], None, "plain",
         "LeakyReLU with ReduceLROnPlateau: two lr drops, a noise-floor loss"),
        (b_h_linear_probe, "healthy", [], None, "plain",
         "a frozen pretrained body on purpose, a linear probe at ~0.96 val accuracy"),
        (b_h_cancer_pos_weight, "healthy", [], None, "lightning",
         "12 % positives with pos_weight ≈ 7: a high weighted loss, a good classifier"),
        (b_h_tab_tokens_transformer_warmup, "healthy", [], None, "lightning",
         "a tabular token transformer with warmup and cosine decay"),
        (b_h_gcn_karate, "noise", [], None, "plain",
         "a plain-torch GCN on the karate club: 17 labelled nodes, a jumpy 17-node validation"),
    ]],
    # ---- round 5 (written blind): other data, architectures and optimizers; never tuned on ----
    *[_case(fn, cls, expect, action, loop, note=note, fresh=True, blind=True, round=5)
      for fn, cls, expect, action, loop, note in [
        (r5_gate_rmsprop_lr_relu_blobs, "gate", ["dead_units", *HIGH_LR], "lower_learning_rate", "plain",
         "RMSprop at lr 0.01 on a ReLU MLP: loss spikes to 40-57 in the first epoch and 50-71 % of layer-2 ReLUs "
         "end dead, though the loss falls again; the lr killed them, so lower it"),
        (r5_gate_tanh_xavier_gain_blobs, "gate", ["saturation"], "check_initialization", "lightning",
         "xavier_normal_(gain=8) on a tanh MLP: ~49 % of layer-2 pre-activations beyond ±5, first loss 11-13 vs "
         "log 4, val 0.39-0.52 where the default init gets 0.65-0.72; fix the init"),
        (r5_functional_softmax_ce_iris, "loss_metric", ["probabilities_into_logit_loss"], "check_loss_inputs",
         "plain", "F.softmax in forward, then CrossEntropyLoss: 99-100 % train accuracy but the loss floors at "
         "0.55-0.56 (the floor log(e+2)-1 = 0.551); return logits"),
        (r5_misaligned_split_blobs, "loss_metric", ["labels_misaligned"], "check_data_pipeline", "lightning",
         "X_train and y_train from two train_test_split calls with different random_state: 24-26 % of pairs "
         "right (chance), train climbs to 0.67-0.71 by memorising, val at chance 0.24-0.30; fix the pipeline"),
        (r5_unshuffled_blobs, "loss_metric", ["unshuffled_data"], "shuffle_data", "lightning",
         "class-sorted table, DataLoader(shuffle=False): ~1.1 labels per batch, train accuracy 0.50-0.61 where "
         "shuffled batches give 0.83-0.85; shuffle"),
        (r5_raw_grunfeld_tanh, "scale", INPUT_PROBLEMS, "normalize_inputs", "plain",
         "raw firm value / capital / calendar year (1935-1954) into tanh: ~100 % of layer-1 pre-activations "
         "beyond ±5, val MSE 0.48-0.50 vs 0.18-0.27 standardised; standardise the inputs"),
        (r5_unscaled_targets_resmlp, "scale", ["unscaled_targets"], "standardize_targets", "lightning",
         "a residual MLP with MSE on a raw make_regression target (std ~185): first loss 3-5e4, ends at 0.74 of "
         "the target variance; standardise the target"),
        (r5_wd_adagrad_blobs, "regularisation", ["weight_decay_too_high"], "reduce_weight_decay", "plain",
         "Adagrad(weight_decay=0.5): weight norm 9.4 → 0.01-0.03, the loss pinned at log 4, chance accuracy; "
         "lower the weight decay"),
        (r5_deep_plain_silu_circles, "order", ["vanishing_gradients", "loss_not_decreasing"],
         "add_skip_connections", "plain",
         "16 plain SiLU layers, default init, no norm or skips: the first layer's gradient vanishes, the loss "
         "sits at log 2 and accuracy at chance; add skips (or normalisation)"),
        (r5_low_lr_adagrad_bilstm, "order", ["loss_not_decreasing", "underfitting"], "raise_learning_rate",
         "lightning", "Adagrad at 1e-4 (default 1e-2) on a BiLSTM: the loss moves 0.002 from log 10 in 6 epochs; "
         "raise the lr"),
        (r5_too_small_circles, "order", ["underfitting"], "increase_capacity", "plain",
         "two hidden units for concentric circles, 30 epochs: train ≈ val ≈ 0.65-0.79 and flat; a bigger model"),
        (r5_nan_log_target_fair, "numerics", ["non_finite"], "check_data_and_loss", "plain",
         "np.log of a target that is 0 for 68 % of rows: -inf targets, the MSE is inf at step 0, then NaN; "
         "fix the data (log1p)"),
        (r5_multitask_sigmoid_randn, "coverage", ["saturation"], "check_initialization", "plain",
         "normal_(p) on every parameter of a torch.sigmoid multi-task trunk: 26 % / 66 % of pre-activations "
         "beyond ±5, val loss 9-11 vs 0.64-0.84 with the default init; fix the init"),
        (r5_exploding_sgd_conv1d, "seed", HIGH_LR, "lower_learning_rate", "plain",
         "SGD momentum lr 0.5 on a Conv1d forecaster: the loss jumps from ~1 to 1e10-1e28 in the first epoch "
         "(NaN for seeds 1-2); lower the lr"),
        (r5_overfit_wide_blobs_small, "seed", ["overfitting"], "reduce_capacity", "lightning",
         "75k parameters on 120 rows for 80 epochs: train 1.0, val 0.62-0.68, val loss 1.8-2.1× its best; "
         "reduce capacity (or regularise / get data)"),
        (r5_underfit_bilstm_two_epochs, "seed", ["underfitting"], "train_longer", "plain",
         "2 epochs of RMSprop on a BiLSTM: train ≈ val ≈ 0.49-0.58 and the loss still falling 0.24-0.49 per "
         "epoch; train longer"),
        (r5_h_warm_restarts, "healthy", [], None, "plain",
         "SGD with CosineAnnealingWarmRestarts: loss jumps at each restart, ends at 0.90-0.93 val"),
        (r5_h_dropout_reversed_gap, "healthy", [], None, "lightning",
         "dropout 0.5 everywhere: the train loss sits above the val loss, a reversed gap"),
        (r5_h_autoencoder_swiss_roll, "noise", [], None, "plain",
         "a 2-D-code autoencoder on a noisy swiss roll: the MSE flattens at the noise the code cannot carry"),
        (r5_h_heavy_tail_regression, "noise", [], None, "lightning",
         "Student-t noise on a standardised regression target: batch MSE jumps 10× between steps"),
        (r5_h_weighted_imbalanced, "healthy", [], None, "plain",
         "80/15/5 % classes with an inverse-frequency weighted CrossEntropyLoss"),
        (r5_h_bilstm_clipped, "healthy", [], None, "lightning", "a BiLSTM with gradient clipping at 0.5"),
        (r5_h_iris_small_batch_rmsprop, "noise", [], None, "plain",
         "iris with batch 8 and RMSprop: a noisy per-step loss, a 38-row val set"),
    ]],
    # ---- round 6 (written blind): other data, architectures, optimizers and bugs; never tuned on ----
    *[_case(fn, cls, expect, action, loop, note=note, fresh=True, blind=True, round=6)
      for fn, cls, expect, action, loop, note in [
        (r6_gate_nadam_lr_relu_blobs, "gate", ["dead_units", *HIGH_LR], "lower_learning_rate", "plain",
         "NAdam at lr 0.05 on a ReLU MLP: the loss spikes to 13-18 from 1.1 and 83-87 % of layer-2 ReLUs end dead "
         "(4-9 % at lr 2e-3), val 0.57-0.89 vs 0.77-0.90; the lr killed them, so lower it"),
        (r6_misaligned_val_packed_gru, "loss_metric", ["labels_misaligned"], "check_data_pipeline", "lightning",
         "val sequences sorted by length for packing, their labels not: train 0.72-0.75, val at chance 0.08-0.12 "
         "with its loss climbing 2.4 → 4.6-4.8; fix the eval pipeline"),
        (r6_raw_anes96_tanh, "scale", INPUT_PROBLEMS, "normalize_inputs", "plain",
         "raw ANES columns (population to 7300, age to 91) into tanh with SGD: 92-93 % of layer-1 pre-activations "
         "beyond ±5, val 0.69-0.79 vs 0.90-0.92 standardised; standardise the inputs"),
        (r6_unscaled_targets_nile, "scale", ["unscaled_targets"], "standardize_targets", "lightning",
         "X standardised but the Nile flow target (~900) left raw: MSE starts at 7.6-8.9e5 and ends at 35-54× the "
         "target variance after 40 epochs; standardise the target"),
        (r6_wd_radam_glu_blobs, "regularisation", ["weight_decay_too_high"], "reduce_weight_decay", "plain",
         "RAdam(weight_decay=0.3), a coupled L2, on a GLU MLP: weight norm 13.4 → 2.1, val accuracy reaches 0.91-1.0 "
         "in epoch 2 then falls to 0.32-0.64 with the loss pinned near log 3; lower the weight decay"),
        (r6_sched_per_batch_s_curve, "order", ["loss_not_decreasing", "underfitting"], "raise_learning_rate",
         "lightning",
         "ExponentialLR(0.9) stepped per batch: lr ~4e-7 after epoch 1, val MSE frozen at 0.17-0.42 vs 0.0025-0.0038 "
         "stepped per epoch; the lr is too low (step the scheduler per epoch)"),
        (r6_detached_features_gncnn, "order", ["underfitting", "loss_not_decreasing"], "increase_trainable_capacity",
         "plain",
         "a stray .detach() after the conv features: conv weights never move (0.0), only an 8→10 head learns, train "
         "0.36-0.47 vs 1.0 without it; remove the detach (unfreeze)"),
        (r6_nan_all_padding_transformer, "numerics", ["non_finite"], "check_data_and_loss", "plain",
         "right-padded tokens truncated to the last 12: 26 % of rows are padding only, attention over a fully masked "
         "row is NaN, the loss is NaN from step 0 (no finite step); fix the data (truncate before padding)"),
        (r6_glu_normal_init_saturated, "coverage", ["saturation"], "check_initialization", "plain",
         "normal_(p, std=1) on a functional GLU MLP: 25-27 % / 87 % of the sigmoid-gate pre-activations beyond ±5, "
         "first loss 260-290, val loss 69-103 vs 0.53-0.64 with the default init; fix the init"),
        (r6_exploding_nesterov_regression, "seed", HIGH_LR, "lower_learning_rate", "lightning",
         "SGD Nesterov lr 0.2 on a standardised regression: the batch loss jumps to 10-75× its start and val ends "
         "at 0.74-1.07 (the target variance); lower the lr"),
        (r6_h_gncnn_linear_warmup, "healthy", [], None, "lightning",
         "a GroupNorm CNN with Adamax and a LinearLR warmup from 1 %: slow first steps, val 0.97-0.99"),
        (r6_h_conv_autoencoder_digits, "healthy", [], None, "plain",
         "a Conv2d autoencoder: reconstruction MSE from ~0.05 to 0.002-0.006 with tiny gradients, no accuracy"),
        (r6_h_markov_decoder_entropy_floor, "noise", [], None, "plain",
         "a causal transformer on a random Markov chain: the loss sits at the entropy rate (1.38-1.50) from epoch 1"),
        (r6_h_nile_noise_floor, "noise", [], None, "lightning",
         "the standardised Nile from 8 past years: val MSE flat at ~1.06-1.14× the val variance from epoch 1 (the "
         "series is near-white noise about its level on 73 training windows)"),
    ]],
]

FAULTS = [c for c in CASES if c.cls not in ("healthy", "noise") and c.expect]
QUIET = [c for c in CASES if c.cls in ("healthy", "noise")]
BY_NAME = {c.name: c for c in CASES}
