"""``archwise.ladder``: load, split, plan the rungs, run every (rung, learning rate, seed) job, judge.

    phase 1  each rung at each learning rate, seed 0; the lowest validation loss picks the rate
    phase 2  the other seeds at that rate (seed 0's run at it is reused, not trained twice)

With ``out``, each finished job is written to ``out/runs/<job>.json`` the moment it finishes
(with its weights and its Monitor record beside it), so ``resume=True`` after a kill skips every
finished job and loses none.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import ArchwiseError
from ..spec import parse_budget
from .data import Dataset, load_data
from .execute import EXECUTORS, default_workers, make_executor
from .fit import Job, TrainSettings, job_key, predict_seconds
from .prepare import prepare
from .rule import Verdict, judge
from .rungs import Rung, plan_rungs

__all__ = ["ladder", "write_model", "LadderResult", "RungResult", "SCHEMA"]

SCHEMA = "archwise.ladder/1"
RUNS = "runs"
STATE = "ladder-state.json"
# Below this many predicted seconds of training (every job at its most epochs, a worst case that
# early stopping usually cuts to a third), one process beats a pool: spawning workers that import
# torch costs ~5 s here, and two workers save at most half the training time.
INLINE_BELOW_S = 30.0


@dataclass
class RungResult:
    rung: Rung
    lr: float  # the learning rate the search chose
    lr_search: dict[float, dict[str, float]]  # learning rate → validation error and loss (seed 0)
    jobs: list[dict[str, Any]]  # one per seed, at the chosen learning rate
    seconds: float  # every job of this rung, the search included
    verdict: Verdict | None = None

    def _values(self, key: str) -> list[float]:
        return [float(j[key]) for j in self.jobs]

    @staticmethod
    def _std(values: list[float]) -> float:
        return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0

    @property
    def params(self) -> int:
        return int(self.jobs[0]["params"])

    def stats(self, key: str) -> tuple[float, float]:
        values = self._values(key)
        return float(np.mean(values)), self._std(values)

    @property
    def row_errors(self) -> np.ndarray:
        return np.mean([np.asarray(j["test_row_errors"], dtype=np.float64) for j in self.jobs], axis=0)

    @property
    def diagnoses(self) -> list[dict[str, Any]]:
        """Each problem Monitor found in any seed's run, the worst severity, and in how many seeds."""
        order = {"info": 0, "warning": 1, "error": 2}
        found: dict[str, dict[str, Any]] = {}
        for j in self.jobs:
            for d in j["diagnoses"]:
                entry = found.setdefault(d["problem"], {"problem": d["problem"], "severity": d["severity"], "seeds": 0})
                entry["seeds"] += 1
                if order.get(d["severity"], 0) > order.get(entry["severity"], 0):
                    entry["severity"] = d["severity"]
        return list(found.values())

    def to_dict(self) -> dict[str, Any]:
        train, train_std = self.stats("train_score")
        test, test_std = self.stats("test_score")
        err, err_std = self.stats("test_error")
        v = self.verdict
        return {
            **self.rung.to_dict(), "params": self.params, "lr": self.lr,
            "lr_search": [{"lr": lr, **v} for lr, v in self.lr_search.items()],
            "train_score": train, "train_std": train_std, "test_score": test, "test_std": test_std,
            "test_error": err, "test_error_std": err_std, "seconds": self.seconds,
            "epochs": [int(j["epochs"]) for j in self.jobs], "stopped": [j["stopped"] for j in self.jobs],
            "kept": bool(v and v.kept), "reason": v.reason if v else "", "compared_with": v.against if v else None,
            "error_cut": v.cut if v else None, "gain": v.gain if v else None, "noise": v.noise if v else None,
            "diagnoses": self.diagnoses,
            "seeds": [{"seed": int(j["seed"]), "train_score": j["train_score"], "test_score": j["test_score"],
                       "epochs": int(j["epochs"]), "seconds": j["seconds"], "stopped": j["stopped"]}
                      for j in self.jobs],
        }


@dataclass
class LadderResult:
    dataset: str
    description: str
    modality: str
    task: str
    inferred: str
    metric: str  # accuracy or mse
    sizes: dict[str, int]
    split_hash: str
    config_hash: str
    threshold: float
    seeds: list[int]
    budget: float
    settings: TrainSettings
    rungs: list[RungResult]
    recommended: str
    notes: list[str]
    seconds: float
    workers: int
    executor: str
    trained: list[str] = field(default_factory=list)  # jobs trained by this call
    reused: list[str] = field(default_factory=list)  # jobs read back from an interrupted run (resume)
    out: str | None = None
    scaling: dict[str, Any] = field(default_factory=dict)  # how the inputs were scaled (model.json repeats it)
    classes: list[str] | None = None
    split_order: str = "at random"  # or "stratified by class", "in time order"
    weights: str | None = None  # with out: the recommended model's weights file (model.safetensors, …)
    skipped: dict[str, float] = field(default_factory=dict)  # rungs left out by --budget → their worst-case seconds
    sample_shape: tuple[int, ...] = ()  # one sample as loaded (graphs: one node's features)

    def rung(self, name: str) -> RungResult:
        return next(r for r in self.rungs if r.rung.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "archwise": __version__, "data": self.dataset, "description": self.description,
            "modality": self.modality, "task": self.task, "inferred": self.inferred, "metric": self.metric,
            "error": "1 - accuracy" if self.metric == "accuracy" else "mse",
            "split": {**self.sizes, "order": self.split_order}, "split_hash": self.split_hash,
            "config_hash": self.config_hash,
            "threshold": self.threshold, "seeds": self.seeds, "budget_s": self.budget,
            "settings": self.settings.to_dict(), "rungs": [r.to_dict() for r in self.rungs],
            "recommended": self.recommended, "notes": self.notes, "seconds": self.seconds,
            "workers": self.workers, "executor": self.executor,
            "skipped": [{"name": k, "predicted_s": v} for k, v in self.skipped.items()],
            "jobs": {"trained": len(self.trained), "reused": len(self.reused)},
        }


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


class _Store:
    """Finished jobs on disk: ``runs/<job>.json``, written whole (temp file, then rename)."""

    def __init__(self, out: Path | None, state: dict[str, Any], resume: bool) -> None:
        self.dir = out / RUNS if out is not None else None
        self.done: dict[str, dict[str, Any]] = {}
        if out is None:
            if resume:
                raise ArchwiseError("--resume needs --out DIR, the folder the interrupted run wrote to")
            return
        if out.exists() and not out.is_dir():
            raise ArchwiseError(f"--out '{out}' is a file; expected a folder (it is created when missing)")
        state_file = out / STATE
        if resume:
            if not state_file.is_file():
                raise ArchwiseError(f"nothing to resume in '{out}': it holds no {STATE}; run without --resume first")
            old = json.loads(state_file.read_text())
            for key in ("split_hash", "config_hash"):
                if old.get(key) != state[key]:
                    raise ArchwiseError(f"'{out}' holds a run with another {key.replace('_', ' ')} ({old.get(key)}, "
                                        f"now {state[key]}): the data, split or settings changed; use a new --out "
                                        "or the same options")
            for f in sorted(self.dir.glob("*.json")) if self.dir.is_dir() else []:
                try:
                    result = json.loads(f.read_text())
                except json.JSONDecodeError:
                    continue  # a job killed while writing is trained again
                self.done[result["key"]] = result
        elif self.dir.is_dir():
            shutil.rmtree(self.dir)  # a fresh run: the results of an earlier one in this folder are replaced
        self.dir.mkdir(parents=True, exist_ok=True)
        (out / STATE).write_text(json.dumps(state, indent=2) + "\n")

    def save(self, result: dict[str, Any]) -> None:
        if self.dir is None:
            return
        tmp = self.dir / f".{result['key']}.json.tmp"
        tmp.write_text(json.dumps(result) + "\n")
        os.replace(tmp, self.dir / f"{result['key']}.json")


def _fmt_error(metric: str) -> Callable[[float], str]:
    if metric == "accuracy":
        return lambda e: f"{100 * e:.2f} %" if abs(e) >= 0.001 else f"{100 * e:.3f} %"
    return lambda e: f"{e:.4g}"


def ladder(data: str | Dataset, *, target: str | None = None, modality: str | None = None, task: str | None = None,
           seeds: int = 3, threshold: float = 0.05, budget: float | str = 300.0, executor: str = "local",
           workers: int | None = None, ray_address: str | None = None, resume: bool = False,
           out: str | Path | None = None, window: int = 16, settings: TrainSettings | None = None,
           on_plan: Callable[[list[Rung], dict[str, int]], None] | None = None,
           on_result: Callable[[dict[str, Any], bool], None] | None = None) -> LadderResult:
    """Run the seed's "start simple" ladder on ``data`` and judge each rung.

    Args:
        data: a CSV/TSV/Parquet/.npz path, a bundled name (digits, breast_cancer, wine, diabetes,
            sunspots, nile, karate), or a :class:`Dataset`.
        target, modality, task, window: how to read the data (see :func:`load_data`).
        seeds: training seeds per rung (0, 1, …); the spread across them feeds the noise rule.
        threshold: the relative error cut a rung needs over the best simpler one (0.05 = 5 %).
        budget: seconds (or "90s", "5m") the ladder may take at worst: the rungs run in order while
            the worst case of every job so far (all at their most epochs, from a timed probe) fits;
            the rest are left out with a note. It never stops a job, so scores do not depend on
            the machine's speed or load.
        executor: "local" (a process pool of ``workers``; one worker runs in this process) or "ray".
        workers: parallel jobs; default the cores, or 1 (this process) when every job together is
            predicted to train in under 30 s, where starting a pool would cost more than it saves.
        resume: with ``out``, skip the jobs an interrupted run finished.
        out: a folder for ladder.json, the recommended model's weights, the plot, and every job.
        on_plan, on_result: progress callbacks: the rungs and their job counts; each finished job
            (and whether it was read back rather than trained).

    Returns:
        A :class:`LadderResult`; ``to_dict()`` is the JSON ``archwise ladder --json`` prints.
    """
    started = time.perf_counter()
    settings = settings or TrainSettings()
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ArchwiseError(f"--seeds must be a whole number ≥ 1, found {seeds!r}")
    if not (isinstance(threshold, (int, float)) and 0 <= threshold < 1):
        raise ArchwiseError(f"--threshold is a relative error cut in [0, 1), such as 0.05 for 5 %; found {threshold!r}")
    budget_s = parse_budget(budget)
    if executor not in EXECUTORS:
        raise ArchwiseError(f"unknown executor '{executor}'; expected local or ray")
    ds = data if isinstance(data, Dataset) else load_data(data, target=target, modality=modality, task=task,
                                                           window=window)
    prepared = prepare(ds)
    planned, plan_notes = plan_rungs(prepared)
    seed_list = list(range(seeds))
    lrs = {r.name: settings.lgb_lrs if r.kind == "lightgbm" else settings.lrs for r in planned}
    counts = {r.name: len(lrs[r.name]) + seeds - 1 for r in planned}
    # Each rung's worst case: every job at its most epochs (trees), from a timed probe of the job itself.
    predicted = {r.name: max(predict_seconds(r, prepared, settings), 1e-3) * counts[r.name] for r in planned}
    if workers is None:  # a pool's workers take seconds to start: not worth it for a small ladder
        workers = 1 if executor == "local" and sum(predicted.values()) < INLINE_BELOW_S else default_workers()
    workers = max(1, min(workers, sum(counts.values())))
    rungs, skipped = _fit_budget(planned, predicted, workers, budget_s)
    # The hash covers what is trained, not the budget: the budget decides which rungs run, never
    # how one trains, so a resume with another budget reuses every finished job.
    config_hash = _hash({"rungs": [r.to_dict() for r in planned], "settings": settings.to_dict(), "seeds": seed_list})
    out_dir = Path(out) if out is not None else None
    state = {"schema": SCHEMA, "data": ds.name, "split_hash": prepared.split_hash, "config_hash": config_hash}
    store = _Store(out_dir, state, resume)
    runs_dir = str(out_dir / RUNS) if out_dir is not None else None
    if on_plan is not None:
        on_plan(rungs, counts)

    results: dict[str, dict[str, Any]] = {}
    trained: list[str] = []
    reused: list[str] = []
    chosen: dict[str, float] = {}

    def job(rung: Rung, lr: float, seed: int) -> Job:
        return Job(rung, lr, seed, settings, runs_dir)

    def phase2(rung: Rung) -> list[Job]:
        """Once a rung's search is done: its learning rate, and the other seeds' jobs."""
        best = min(lrs[rung.name], key=lambda lr: _search_key(results[job_key(rung.name, lr, 0)]))
        chosen[rung.name] = best
        return [job(rung, best, s) for s in seed_list[1:]]

    todo: list[Job] = [job(r, lr, 0) for r in rungs for lr in lrs[r.name]]
    with make_executor(executor, prepared, workers, ray_address) as ex:
        running = 0
        while todo or running:
            ready = []
            for j in todo:
                if j.key in store.done:
                    results[j.key] = store.done[j.key]
                    reused.append(j.key)
                    if on_result is not None:
                        on_result(results[j.key], True)
                    ready.append(j)
                else:
                    ex.submit(j)
                    running += 1
            todo = []
            for j in ready:
                todo += _after(j, lrs, results, chosen, phase2)
            if todo or not running:
                continue
            for j, result in ex.wait():
                running -= 1
                results[j.key] = result
                trained.append(j.key)
                store.save(result)
                if on_result is not None:
                    on_result(result, False)
                todo += _after(j, lrs, results, chosen, phase2)

    metric = "accuracy" if prepared.classification else "mse"
    rung_results = []
    for r in rungs:
        seconds = sum(float(v["seconds"]) for k, v in results.items() if v["rung"] == r.name)
        rung_results.append(RungResult(
            r, chosen[r.name], {lr: {k: results[job_key(r.name, lr, 0)][k] for k in ("val_error", "val_loss")}
                                for lr in lrs[r.name]},
            [results[job_key(r.name, chosen[r.name], s)] for s in seed_list], seconds))
    verdicts = judge([r.rung.name for r in rung_results], [r._values("test_error") for r in rung_results],
                     [r.row_errors for r in rung_results], threshold, _fmt_error(metric))
    for r, v in zip(rung_results, verdicts):
        r.verdict = v
    kept = [r for r in rung_results if r.verdict and r.verdict.kept]
    recommended = kept[-1].rung.name if kept else rung_results[0].rung.name
    notes = list(prepared.notes) + plan_notes
    if seeds == 1:
        notes.append("one seed: there is no spread across seeds, so the noise rule rests on the test rows alone; "
                     "use --seeds 3 or more")
    if skipped:
        need = sum(predicted.values()) / workers
        notes.append(f"not run within --budget {budget_s:g} s: {', '.join(skipped)} (with them the ladder could take up "
                     f"to {need:.0f} s on {workers} worker{'s' if workers > 1 else ''} if no job stopped early); give "
                     f"--budget {math.ceil(need / 60)}m to run every rung")
    result = LadderResult(
        ds.name, ds.describe(), prepared.modality.value, prepared.task.value, ds.inferred, metric, prepared.sizes(),
        prepared.split_hash, config_hash, threshold, seed_list, budget_s, settings, rung_results, recommended, notes,
        time.perf_counter() - started, workers, "ray" if executor == "ray" else ("local" if workers > 1 else "inline"),
        trained, reused, str(out_dir) if out_dir is not None else None, prepared.scaling, ds.classes,
        "in time order" if ds.chronological else "stratified by class" if prepared.classification else "at random",
        skipped={name: predicted[name] for name in skipped}, sample_shape=tuple(int(d) for d in prepared.X.shape[1:]))
    if out_dir is not None:
        _write_out(result, out_dir)
    return result


def _fit_budget(planned: list[Rung], predicted: dict[str, float], workers: int,
                budget_s: float) -> tuple[list[Rung], list[str]]:
    """The rungs to run, simplest first, and the names of those left out: a rung runs when the worst
    case of it and every rung kept before it (``predicted`` worker-seconds, shared by ``workers``)
    fits ``budget_s``. The first rung, the baseline, always runs.

    Example:
        >>> from archwise.ladder.rungs import Rung
        >>> r = [Rung(n, n, "torch", "mlp") for n in ("a", "b", "c")]
        >>> [x.name for x in _fit_budget(r, {"a": 50, "b": 80, "c": 20}, 2, 60)[0]]
        ['a', 'c']
    """
    run: list[Rung] = []
    skipped: list[str] = []
    spent = 0.0
    for i, rung in enumerate(planned):
        if i == 0 or (spent + predicted[rung.name]) / workers <= budget_s:
            run.append(rung)
            spent += predicted[rung.name]
        else:
            skipped.append(rung.name)
    return run, skipped


def _search_key(result: dict[str, Any]) -> tuple[float, float]:
    """How the learning-rate search ranks a seed-0 run: validation error (what the ladder scores),
    then validation loss; a diverged run ranks last."""
    err, loss = float(result["val_error"]), float(result["val_loss"])
    return (err if math.isfinite(err) else math.inf, loss if math.isfinite(loss) else math.inf)


def _after(done: Job, lrs: dict[str, tuple[float, ...]], results: dict[str, dict[str, Any]],
           chosen: dict[str, float], phase2: Callable[[Rung], list[Job]]) -> list[Job]:
    """The jobs a finished job unlocks: a rung's seeds once its whole learning-rate search is in."""
    if done.seed != 0 or done.rung.name in chosen:
        return []
    if all(job_key(done.rung.name, lr, 0) in results for lr in lrs[done.rung.name]):
        return phase2(done.rung)
    return []


def _write_out(result: LadderResult, out: Path) -> None:
    from .plot import plot_ladder

    data = result.to_dict()
    (out / "ladder.json").write_text(json.dumps(data, indent=2) + "\n")
    result.weights = write_model(result, result.recommended, out)
    plot_ladder(data, out / "ladder.png")


def write_model(result: LadderResult, rung: str, folder: str | Path) -> str:
    """Write ``rung``'s seed-0 model to ``folder``: ``model.json`` (what to build, the input it takes,
    how its inputs were scaled) and its weights, copied from the ladder's ``runs/``. Returns the
    weights' file name. The ladder writes its recommended rung this way; any other rung of a run
    with ``out`` can be written the same way to carry on with it.
    """
    if result.out is None:
        raise ArchwiseError("the ladder ran without --out, so no weights were kept; run it with --out DIR")
    best = result.rung(rung)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = job_key(best.rung.name, best.lr, 0)
    runs = Path(result.out) / RUNS
    for stale in ("model.safetensors", "model.pt", "model.lgb.txt"):
        (folder / stale).unlink(missing_ok=True)
    if best.rung.kind == "lightgbm":
        shutil.copyfile(runs / f"{key}.lgb.txt", folder / "model.lgb.txt")
        weights = "model.lgb.txt"
    else:
        import torch

        state = torch.load(runs / f"{key}.pt", weights_only=True)
        try:
            from safetensors.torch import save_file

            save_file({k: v.contiguous() for k, v in state.items()}, str(folder / "model.safetensors"))
            weights = "model.safetensors"
        except (ImportError, RuntimeError, ValueError):  # shared tensors, or no safetensors
            torch.save(state, folder / "model.pt")
            weights = "model.pt"
    sample = [math.prod(result.sample_shape)] if best.rung.flatten else list(result.sample_shape)
    (folder / "model.json").write_text(json.dumps({
        "rung": best.rung.name, "label": best.rung.label, "arch": best.rung.arch,
        "hyperparameters": best.rung.kwargs, "weights": weights, "seed": 0, "lr": best.lr,
        "input": "each sample flattened to a vector" if best.rung.flatten else "as loaded",
        # one sample as the model takes it (graphs: one node's features, with edge_index beside them)
        "input_shape": sample, "batch_size": result.settings.batch_size, "graph": best.rung.graph,
        "build": f"archwise.design.create_arch({best.rung.arch!r}, **hyperparameters)",
        "input_scaling": result.scaling, "classes": result.classes,
    }, indent=2) + "\n")
    return weights
