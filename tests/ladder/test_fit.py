"""One ladder job: deterministic, early-stopped on the best weights, watched by Monitor, never
stopped by a clock; LightGBM's size is its trained tree nodes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from archwise.design.zoo import create_arch
from archwise.ladder.data import load_data
from archwise.ladder.fit import Job, TrainSettings, run_job
from archwise.ladder.prepare import prepare
from archwise.ladder.rungs import plan_rungs
from archwise.train import load_record


@pytest.fixture(scope="module")
def wine():
    data = prepare(load_data("wine"))
    return data, {r.name: r for r in plan_rungs(data)[0]}


def test_the_same_job_gives_the_same_numbers(wine):
    data, rungs = wine
    job = Job(rungs["mlp-128"], 3e-3, 1, TrainSettings())
    a, b = run_job(job, data), run_job(job, data)
    for key in ("val_loss", "train_score", "test_score", "epochs", "test_row_errors"):
        assert a[key] == b[key]
    other = run_job(Job(rungs["mlp-128"], 3e-3, 2, TrainSettings()), data)
    assert other["val_loss"] != a["val_loss"]  # the seed is used


def test_best_weights_restored_monitor_record_and_scores(wine, tmp_path):
    data, rungs = wine
    rung = rungs["mlp-256x2"]
    result = run_job(Job(rung, 1e-2, 0, TrainSettings(), str(tmp_path)), data)
    record = load_record(tmp_path / f"{result['key']}.jsonl")
    val_losses = [e.val_loss for e in record.epochs]
    assert len(val_losses) == result["epochs"]
    assert result["val_loss"] == pytest.approx(min(val_losses), rel=1e-6)
    assert result["best_epoch"] == int(np.argmin(val_losses)) + 1
    assert result["stopped"] == "early_stopping" and result["epochs"] - result["best_epoch"] >= 10
    assert record.sampled()  # per-layer statistics were taken
    # the saved weights are the restored best ones and give the reported test accuracy
    model = create_arch(rung.arch, **rung.kwargs)
    model.load_state_dict(torch.load(tmp_path / f"{result['key']}.pt", weights_only=True))
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(data.X[data.test])).argmax(1).numpy()
    assert result["test_score"] == pytest.approx(float((pred == data.y[data.test]).mean()))
    assert result["test_error"] == pytest.approx(1 - result["test_score"])
    assert sum(result["test_row_errors"]) == pytest.approx(result["test_error"] * len(data.test))
    assert result["params"] == rung.params


def test_regression_errors_are_in_the_data_units():
    data = prepare(load_data("diabetes"))
    rung = plan_rungs(data)[0][0]
    result = run_job(Job(rung, 1e-2, 0, TrainSettings()), data)
    assert result["test_score"] == result["test_error"]  # the MSE, lower is better
    baseline = float(np.mean((load_data("diabetes").y[data.test] - data.y_mean) ** 2))  # predicting the mean
    assert 0.4 * baseline < result["test_error"] < baseline  # the diabetes target's variance is ~5,900


def test_a_slow_machine_gives_the_same_numbers(wine, monkeypatch):
    """No clock stops a job (issue 24): with every second made to last an hour, the job trains as long
    and scores the same."""
    import time

    data, rungs = wine
    job = Job(rungs["mlp-128"], 1e-3, 0, TrainSettings())
    quick = run_job(job, data)
    real = time.perf_counter
    calls = iter(range(10**9))
    monkeypatch.setattr(time, "perf_counter", lambda: real() + 3600.0 * next(calls))
    slow = run_job(job, data)
    assert slow["seconds"] > 3600  # the clock did run slow
    for key in ("epochs", "stopped", "val_loss", "test_score", "test_row_errors"):
        assert slow[key] == quick[key], key
    assert quick["epochs"] > 1  # the old cap would have stopped the slow run after its first epoch


def test_lightgbm_job_counts_its_trained_nodes(wine, tmp_path):
    import lightgbm as lgb

    data, rungs = wine
    result = run_job(Job(rungs["lightgbm"], 0.1, 0, TrainSettings(), str(tmp_path)), data)
    booster = lgb.Booster(model_file=str(tmp_path / f"{result['key']}.lgb.txt"))
    frame = booster.trees_to_dataframe()  # an independent count: one row per node
    assert result["params"] == len(frame)
    assert result["diagnoses"] == [] and 0.8 < result["test_score"] <= 1.0


def test_graph_rung_uses_the_edges():
    data = prepare(load_data("karate"))
    rungs = {r.name: r for r in plan_rungs(data)[0]}
    assert rungs["gcn"].graph and not rungs["mlp-128"].graph
    gcn = run_job(Job(rungs["gcn"], 1e-2, 0, TrainSettings()), data)
    mlp = run_job(Job(rungs["mlp-128"], 1e-2, 0, TrainSettings()), data)
    # one-hot ids say nothing about unseen nodes; the graph does
    assert gcn["test_score"] > mlp["test_score"]
