"""``archwise ladder`` end to end: the seed's two lessons on real data (digits: the CNN earns its
place; breast_cancer: the linear model is enough), the output folder, resume after a kill, and
the executors giving the same numbers."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import archwise
from archwise.cli import app
from archwise.errors import ArchwiseError
from archwise.ladder import ladder
from archwise.ladder.data import load_data
from archwise.ladder.prepare import prepare

JSON_KEYS = {"modality", "task", "rungs", "recommended", "threshold", "seeds", "split_hash"}
RUNG_KEYS = {"name", "params", "train_score", "test_score", "test_std", "seconds", "kept", "reason", "diagnoses"}


@pytest.fixture(scope="module")
def cancer(tmp_path_factory):
    out = tmp_path_factory.mktemp("cancer")
    return ladder("breast_cancer", workers=1, out=out), out


def _numbers(result):
    """Everything a run computed except its timings."""
    out = []
    for r in result.rungs:
        d = r.to_dict()
        out.append((d["name"], d["lr"], d["lr_search"], d["train_score"], d["test_score"], d["test_std"], d["kept"],
                    d["reason"], d["diagnoses"], d["epochs"], d["params"]))
    return out


def test_digits_cnn_beats_the_mlps_and_is_recommended():
    result = archwise.ladder("digits", workers=2)
    assert [r.rung.name for r in result.rungs] == ["linear", "mlp-128", "mlp-256x2", "resnet"]
    cnn = result.rung("resnet")
    best_mlp = min(result.rung(n).stats("test_error")[0] for n in ("mlp-128", "mlp-256x2"))
    error = cnn.stats("test_error")[0]
    assert error < best_mlp * (1 - result.threshold)  # beats both MLPs by more than the threshold
    assert cnn.verdict.kept and cnn.verdict.against in ("linear", "mlp-128", "mlp-256x2")
    assert result.recommended == "resnet"
    assert cnn.verdict.gain > 2 * cnn.verdict.noise


def test_breast_cancer_linear_or_small_mlp_is_enough(cancer):
    result, _ = cancer
    assert result.recommended in ("linear", "mlp-128")
    for name in ("mlp-256x2", "lightgbm"):
        r = result.rung(name)
        assert not r.verdict.kept and r.verdict.reason.startswith("rejected: ")
    assert any("design picks linear model" in n for n in result.notes)  # rung 4 would repeat rung 1


def test_json_has_the_issue_keys_and_parts_add_up(cancer):
    result, out = cancer
    data = json.loads((out / "ladder.json").read_text())
    assert JSON_KEYS <= set(data) and data["schema"] == "archwise.ladder/1"
    for rung in data["rungs"]:
        assert RUNG_KEYS <= set(rung)
        assert len(rung["seeds"]) == 3
        assert rung["test_score"] == pytest.approx(np.mean([s["test_score"] for s in rung["seeds"]]))
        assert rung["test_std"] == pytest.approx(np.std([s["test_score"] for s in rung["seeds"]], ddof=1))
    assert data["jobs"]["trained"] == sum(3 + 3 - 1 for _ in data["rungs"])  # 3 rates + 2 more seeds per rung
    assert data["split"]["train"] + data["split"]["val"] + data["split"]["test"] == 569
    assert data["split_hash"] == prepare(load_data("breast_cancer")).split_hash  # the same rows every time


def test_out_folder_holds_weights_that_reproduce_the_score(cancer):
    result, out = cancer
    meta = json.loads((out / "model.json").read_text())
    assert meta["rung"] == result.recommended and meta["weights"] == "model.safetensors"
    from safetensors.torch import load_file

    model = archwise.create_arch(meta["arch"], **meta["hyperparameters"])
    model.load_state_dict(load_file(str(out / "model.safetensors")))
    model.eval()
    data = prepare(load_data("breast_cancer"))
    raw = load_data("breast_cancer").X  # model.json says how to scale new data like the training data
    scaling = meta["input_scaling"]
    np.testing.assert_allclose((raw - np.array(scaling["mean"])) / np.array(scaling["std"]), data.X, atol=1e-5)
    assert meta["classes"] == ["malignant", "benign"]
    with torch.no_grad():
        pred = model(torch.from_numpy(data.X[data.test])).argmax(1).numpy()
    seed0 = result.rung(result.recommended).jobs[0]
    assert float((pred == data.y[data.test]).mean()) == pytest.approx(seed0["test_score"])
    assert (out / "ladder.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list((out / "runs").glob("*.jsonl"))) == 15  # a Monitor record per torch job


def test_resume_after_an_interruption_trains_nothing_twice_and_loses_nothing(tmp_path):
    seen: list[str] = []

    def interrupt(result, reused):
        seen.append(result["key"])
        if len(seen) == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ladder("wine", workers=1, out=tmp_path, on_result=interrupt)
    assert len(list((tmp_path / "runs").glob("*.json"))) == 7
    resumed = ladder("wine", workers=1, out=tmp_path, resume=True)
    assert sorted(resumed.reused) == sorted(seen)
    assert not set(resumed.trained) & set(seen)
    assert len(resumed.trained) + len(resumed.reused) == 20
    assert _numbers(resumed) == _numbers(ladder("wine", workers=1))


def test_resume_after_a_real_kill(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "archwise.cli", "ladder", "breast_cancer", "--workers", "1", "--seeds", "4",
           "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = out / "runs"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(runs.glob("*.json")) if runs.is_dir() else []) < 4:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.stem for p in runs.glob("*.json")}
    assert 4 <= len(finished) < 24, "the run ended before it could be killed"  # 4 rungs × (3 rates + 3 seeds)
    result = subprocess.run(cmd + ["--resume", "--json"], capture_output=True, text=True, check=True)
    data = json.loads(result.stdout)
    assert data["jobs"]["reused"] == len(finished) and data["jobs"]["trained"] == 24 - len(finished)


def test_resume_refuses_a_changed_configuration(tmp_path):
    ladder("wine", workers=1, seeds=2, out=tmp_path)
    with pytest.raises(ArchwiseError, match="another config hash"):
        ladder("wine", workers=1, seeds=3, out=tmp_path, resume=True)
    with pytest.raises(ArchwiseError, match="--resume needs --out"):
        ladder("wine", workers=1, resume=True)


def test_a_process_pool_gives_the_same_numbers_as_one_process():
    inline = ladder("wine", workers=1, seeds=2)
    pool = ladder("wine", workers=2, seeds=2)
    assert pool.executor == "local" and inline.executor == "inline"
    assert _numbers(pool) == _numbers(inline)


@pytest.mark.slow  # starting Ray's local cluster takes 15-30 s on 2 cores (the optional ray extra)
def test_ray_gives_the_same_numbers_as_one_process():
    pytest.importorskip("ray")
    ray_run = ladder("wine", workers=2, seeds=2, executor="ray")
    assert ray_run.executor == "ray"
    assert _numbers(ray_run) == _numbers(ladder("wine", workers=1, seeds=2))


def test_every_modality_runs_end_to_end():
    # sequences (a forecasting window) and graphs; images and tables are covered above
    series = ladder("nile", workers=1, seeds=2, window=8)
    assert series.modality == "timeseries" and series.metric == "mse"
    assert [r.rung.name for r in series.rungs] == ["linear", "mlp-128", "mlp-256x2", "lstm"]
    graph = ladder("karate", workers=1, seeds=2)
    assert [r.rung.name for r in graph.rungs] == ["linear", "mlp-128", "mlp-256x2", "gcn"]
    assert graph.recommended == "gcn"  # the nodes' ids say nothing about unseen nodes; the graph does


def test_npz_sequences_get_a_recurrent_rung(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 12, 2)).astype(np.float32)
    y = (X[:, :, 0].sum(1) > 0).astype(int)
    np.savez(tmp_path / "seq.npz", X=X, y=y)
    result = ladder(tmp_path / "seq.npz", workers=1, seeds=1)
    assert result.modality == "sequence" and result.rungs[-1].rung.name == "lstm"
    assert any("one seed" in n for n in result.notes)


def test_the_budget_decides_which_rungs_run_and_says_so():
    full = ladder("wine", workers=1, seeds=2)
    tight = ladder("wine", workers=1, seeds=2, budget="0.001s")
    assert [r.rung.name for r in tight.rungs] == ["linear"]  # the baseline always runs
    assert set(tight.skipped) == {"mlp-128", "mlp-256x2", "lightgbm"} and all(s > 0 for s in tight.skipped.values())
    note = next(n for n in tight.notes if n.startswith("not run within --budget"))
    assert "mlp-128, mlp-256x2, lightgbm" in note and "give --budget" in note
    data = tight.to_dict()
    assert [s["name"] for s in data["skipped"]] == ["mlp-128", "mlp-256x2", "lightgbm"]
    # what runs trains exactly as without the budget: same epochs, same scores
    assert _numbers(tight) == _numbers(full)[:1] and full.skipped == {}
    assert tight.recommended == "linear"


def test_report_golden(cancer, golden):
    from archwise.report.ladder import ladder_to_text

    result, _ = cancer
    # timings are the only figures that change between runs: fixed here, every other number is this run's
    fixed = dataclasses.replace(result, rungs=[dataclasses.replace(r, seconds=float(i + 1))
                                               for i, r in enumerate(result.rungs)], seconds=12.5)
    text = ladder_to_text(fixed)
    # the parts add up: the time line is the sum of the rungs' times (1 + 2 + 3 + 4), the jobs the trained ones
    assert "time: 10.0 s of training in 20 jobs (20 trained)" in text
    for i, r in enumerate(result.rungs, 1):  # a row and a verdict per rung, with this run's numbers
        assert f"{r.params:,}" in text and f"{i}. {r.rung.name}: {r.verdict.reason.split(' (')[0]}" in text
    assert f"recommended: {result.recommended}," in text and result.split_hash in text
    golden("ladder_breast_cancer.txt", text)


def test_cli_json_and_options(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["ladder", "wine", "--workers", "1", "--seeds", "2", "--threshold", "10%", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["threshold"] == pytest.approx(0.1) and data["seeds"] == [0, 1] and JSON_KEYS <= set(data)
    for args, expected in [(["--threshold", "abc"], "--threshold expects a fraction"),
                           (["--threshold", "1.5"], "must be in [0, 1)"),
                           (["--budget", "soon"], "--budget must be a positive time such as 60s, 5m or 1h"),
                           (["--seeds", "0"], "--seeds must be a whole number"),
                           (["--executor", "spark"], "unknown executor 'spark'"),
                           (["--workers", "0"], "--workers must be at least 1")]:
        bad = runner.invoke(app, ["ladder", "wine", *args])
        assert bad.exit_code == 2 and expected in bad.output, (args, bad.output)


def test_terminal_rendering_has_every_rung_and_verdict(cancer):
    from rich.console import Console

    from archwise.report.ladder import render_ladder

    result, _ = cancer
    console = Console(width=200, record=True, color_system=None)
    console.print(render_ladder(result))
    text = console.export_text()
    for r in result.rungs:
        assert r.rung.name in text and r.verdict.reason in text
    assert f"recommended: {result.recommended}" in text


@pytest.mark.slow  # ray start --head and a driver connecting to it: about 30 s on 2 cores
def test_ray_on_an_existing_cluster_and_an_unreachable_one(monkeypatch):
    pytest.importorskip("ray")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # a throwaway cluster: no token between it and this driver
    import socket

    ray_cli = str(Path(sys.executable).parent / "ray")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ArchwiseError, match=f"no Ray cluster answers at 127.0.0.1:{port}"):
        ladder("wine", workers=1, seeds=2, executor="ray", ray_address=f"127.0.0.1:{port}")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    subprocess.run([ray_cli, "start", "--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
                    "--disable-usage-stats"], check=True, capture_output=True, env=env)
    try:
        on_cluster = ladder("wine", workers=2, seeds=2, executor="ray", ray_address=f"127.0.0.1:{port}")
    finally:
        subprocess.run([ray_cli, "stop", "--force"], capture_output=True, env=env)
    assert on_cluster.executor == "ray"
    assert _numbers(on_cluster) == _numbers(ladder("wine", workers=1, seeds=2))
