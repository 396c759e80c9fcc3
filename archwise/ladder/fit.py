"""One job of the ladder: train one rung at one learning rate and seed, watched by ``Monitor``.

Every torch rung trains the same way: Adam, mini-batches of 64 (graphs: the whole graph),
cross-entropy or mean squared error, early stopping on the validation loss with the best weights
restored. No clock stops a job: the ladder's budget decides which rungs run, never how long one
trains, so a job is a pure function of its inputs (one thread, its own seeded generators) and
gives the same numbers in any process, pool or Ray worker, on a quiet machine or a loaded one.
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .prepare import Prepared
from .rungs import Rung

__all__ = ["TrainSettings", "Job", "run_job", "predict_seconds"]


@dataclass(frozen=True)
class TrainSettings:
    """How every rung trains; hashed into the ladder's ``config_hash``."""

    lrs: tuple[float, ...] = (1e-2, 3e-3, 1e-3)  # Adam's learning rates searched per torch rung
    lgb_lrs: tuple[float, ...] = (0.3, 0.1, 0.03)  # LightGBM's
    batch_size: int = 64
    max_epochs: int = 100
    patience: int = 10  # epochs without a better validation loss before stopping
    plateau: int = 4  # epochs without a better validation loss before the learning rate is cut (× plateau_factor)
    plateau_factor: float = 0.3
    graph_max_epochs: int = 300  # full-graph steps
    graph_patience: int = 30
    lgb_max_trees: int = 1000
    lgb_patience: int = 50  # trees without a better validation loss
    monitor_every: int = 10

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Job:
    rung: Rung
    lr: float
    seed: int
    settings: TrainSettings
    out_dir: str | None = None  # where the worker writes the weights and the monitor record

    @property
    def key(self) -> str:
        return job_key(self.rung.name, self.lr, self.seed)


def job_key(rung: str, lr: float, seed: int) -> str:
    return f"{rung}-lr{lr:g}-seed{seed}"


def run_job(job: Job, data: Prepared) -> dict[str, Any]:
    """Train ``job`` on ``data``; return its scores, errors, epochs, time and diagnoses."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():  # library deprecation chatter from worker processes
            warnings.simplefilter("ignore")
            result = _lightgbm(job, data) if job.rung.kind == "lightgbm" else _torch(job, data)
    finally:
        torch.set_num_threads(threads)
    result.update(key=job.key, rung=job.rung.name, lr=job.lr, seed=job.seed,
                  seconds=time.perf_counter() - start)
    return result


def predict_seconds(rung: Rung, data: Prepared, settings: TrainSettings, probe: int = 2) -> float:
    """Seconds one job of ``rung`` would take at its most epochs (trees), from a timed probe: the
    job itself for ``probe`` epochs (graphs: 5 × ``probe`` steps; LightGBM: 5 × ``probe`` trees),
    scaled up. The ladder runs the rungs whose worst case fits ``--budget``."""
    if rung.kind == "lightgbm":  # a fixed cost (binning the data) and a cost per tree: two probes
        few, more = 5 * probe, 15 * probe
        times = [run_job(Job(rung, settings.lgb_lrs[0], 0, replace(settings, lgb_max_trees=n, lgb_patience=n)),
                             data)["seconds"] for n in (few, more)]
        per_tree = max(times[1] - times[0], 0.0) / (more - few)
        return times[1] + per_tree * (settings.lgb_max_trees - more)
    short = replace(settings, max_epochs=probe, graph_max_epochs=5 * probe)
    seconds = run_job(Job(rung, settings.lrs[0], 0, short), data)["seconds"]
    return seconds * (settings.graph_max_epochs / (5 * probe) if data.graph else settings.max_epochs / probe)


def _row_errors(data: Prepared, pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's error: 1 for a wrong class and 0 for a right one, or the squared error in the data's units."""
    if data.classification:
        return (pred != labels).astype(np.float64)
    return (pred.astype(np.float64) - labels) ** 2 * data.y_std ** 2


def _score(data: Prepared, pred: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(score, error): accuracy and 1 − accuracy, or the MSE in the data's units twice."""
    error = float(_row_errors(data, pred, labels).mean())
    return (1.0 - error if data.classification else error), error


def _predict(data: Prepared, out: torch.Tensor) -> np.ndarray:
    """The model's outputs as predictions: class indices, or the (scaled) regression values."""
    return (out.argmax(1) if data.classification else out.view(-1)).numpy()


def _torch(job: Job, data: Prepared) -> dict[str, Any]:
    from ..design.zoo import create_arch
    from ..train import Monitor

    s, rung = job.settings, job.rung
    torch.manual_seed(job.seed)
    rng = np.random.default_rng(job.seed)
    model = create_arch(rung.arch, **rung.kwargs)
    X = torch.from_numpy(data.X.reshape(len(data.X), -1) if rung.flatten else data.X)
    y = torch.from_numpy(data.y)
    edges = torch.from_numpy(data.edge_index) if rung.graph else None
    loss_fn: nn.Module = nn.CrossEntropyLoss() if data.classification else nn.MSELoss()
    target = (lambda t: t) if data.classification else (lambda t: t.view(-1, 1))
    forward = (lambda x: model(x, edges)) if rung.graph else model
    graph = data.graph
    max_epochs, patience = (s.graph_max_epochs, s.graph_patience) if graph else (s.max_epochs, s.patience)
    optimizer = torch.optim.Adam(model.parameters(), lr=job.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=s.plateau_factor,
                                                           patience=s.plateau if not graph else 3 * s.plateau)
    train_idx = torch.from_numpy(data.train)
    val_idx = torch.from_numpy(data.val)

    def evaluate(idx: torch.Tensor) -> tuple[float, float]:
        model.eval()
        with torch.no_grad():
            out = forward(X)[idx] if graph else forward(X[idx])
            loss = float(loss_fn(out, target(y[idx])))
        model.train()
        return loss, _score(data, _predict(data, out), data.y[idx.numpy()])[0]

    mon = Monitor(model, optimizer, every=s.monitor_every, n_train=len(data.train))
    best_loss, best_state, best_epoch, epochs, stopped = float("inf"), None, 0, 0, "max_epochs"
    with mon:
        for epoch in range(1, max_epochs + 1):
            epochs = epoch
            total, correct, seen = 0.0, 0.0, 0
            batches = [train_idx] if graph else _batches(rng.permutation(data.train), s.batch_size)
            for idx in batches:
                out = forward(X)[idx] if graph else forward(X[idx])
                loss = loss_fn(out, target(y[idx]))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                mon.step(loss)
                n = len(idx)
                total += float(loss.detach()) * n
                correct += _score(data, _predict(data, out.detach()), data.y[idx.numpy()])[0] * n
                seen += n
            val_loss, val_metric = evaluate(val_idx)
            mon.log_epoch(train_loss=total / seen, val_loss=val_loss, train_metric=correct / seen,
                          val_metric=val_metric, metric_higher_is_better=data.classification)
            if not np.isfinite(val_loss):
                stopped = "diverged"
                break
            scheduler.step(val_loss)
            if val_loss < best_loss:
                best_loss, best_epoch, best_state = val_loss, epoch, copy.deepcopy(model.state_dict())
            elif epoch - best_epoch >= patience:
                stopped = "early_stopping"
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        out = forward(X) if graph else torch.cat([forward(X[i:i + 1024]) for i in range(0, len(X), 1024)])
    pred = _predict(data, out)
    diagnoses = [{"problem": d.problem, "severity": d.severity} for d in mon.diagnose()]
    result = _scores(data, pred, best_loss)
    if job.out_dir is not None:
        runs = Path(job.out_dir)
        torch.save(model.state_dict(), runs / f"{job.key}.pt")
        mon.save(runs / f"{job.key}.jsonl")
    result.update(params=sum(p.numel() for p in model.parameters()), epochs=epochs, best_epoch=best_epoch,
                  stopped=stopped, diagnoses=diagnoses)
    return result


def _batches(order: np.ndarray, size: int) -> list[torch.Tensor]:
    out = [torch.from_numpy(order[i:i + size]) for i in range(0, len(order), size)]
    if len(out) > 1 and len(out[-1]) == 1:  # a batch of one breaks batch norm; it joins the previous batch
        out[-2] = torch.cat([out[-2], out.pop()])
    return out


def _scores(data: Prepared, pred: np.ndarray, val_loss: float) -> dict[str, Any]:
    out: dict[str, Any] = {"val_loss": float(val_loss)}
    for part, idx in (("train", data.train), ("val", data.val), ("test", data.test)):
        out[f"{part}_score"], out[f"{part}_error"] = _score(data, pred[idx], data.y[idx])
    out["test_row_errors"] = [float(e) for e in _row_errors(data, pred[data.test], data.y[data.test])]
    return out


def _lightgbm(job: Job, data: Prepared) -> dict[str, Any]:
    import lightgbm as lgb

    s = job.settings
    X = data.X.reshape(len(data.X), -1)
    common = dict(n_estimators=s.lgb_max_trees, learning_rate=job.lr, random_state=job.seed, n_jobs=1,
                  deterministic=True, force_row_wise=True, verbose=-1)
    model = lgb.LGBMClassifier(**common) if data.classification else lgb.LGBMRegressor(**common)
    model.fit(X[data.train], data.y[data.train], eval_set=[(X[data.val], data.y[data.val])],
              callbacks=[lgb.early_stopping(s.lgb_patience, verbose=False)])
    pred = model.predict(X)
    evals = model.evals_result_.get("valid_0", {})
    curve = next(iter(evals.values())) if evals else [float("nan")]
    best = model.best_iteration_ or len(curve)
    trees = model.booster_.dump_model(num_iteration=best)["tree_info"]
    nodes = sum(2 * t["num_leaves"] - 1 for t in trees)  # leaves and splits: the numbers the model holds
    result = _scores(data, np.asarray(pred), float(curve[best - 1]))
    if job.out_dir is not None:
        model.booster_.save_model(str(Path(job.out_dir) / f"{job.key}.lgb.txt"), num_iteration=best)
    result.update(params=int(nodes), epochs=len(curve), best_epoch=int(best),
                  stopped="early_stopping" if len(curve) < s.lgb_max_trees else "max_epochs", diagnoses=[])
    return result
