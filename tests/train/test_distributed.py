"""The Monitor under torch.distributed: two gloo processes on the CPU (``torchrun``) against one
process on the same global batches (issue 17).

tests/train/dist_scripts/digits.py trains a healthy MLP and one with dead ReLUs on scikit-learn's
digits; with DDP a rank's gradient is the mean over both ranks' equal batches, so a single process
on the concatenated batch computes the same numbers up to float32 rounding.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import archwise

from .dist_scripts import digits

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(),
                                reason="this build of torch has no torch.distributed")

SCRIPT = Path(__file__).parent / "dist_scripts" / "digits.py"
ROOT = Path(__file__).resolve().parents[2]
TIMING = {"slow_step"}   # judged on wall-clock times, which differ between any two runs


def _torchrun(out: Path, wrap: str) -> Path:
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(SCRIPT),
           str(out), "--wrap", wrap]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def ddp(tmp_path_factory) -> Path:
    return _torchrun(tmp_path_factory.mktemp("ddp"), "ddp")


@pytest.fixture(scope="module")
def single() -> dict[str, archwise.Monitor]:
    return {fault: digits.run(fault, world=2, rank=None)[0] for fault in digits.FAULTS}


def _close(a: list | None, b: list | None, rel: float) -> float:
    """The largest relative difference between two per-layer lists (asserting None in the same places)."""
    assert (a is None) == (b is None)
    if a is None:
        return 0.0
    assert [v is None for v in a] == [v is None for v in b]
    worst = max((abs(x - y) / max(abs(y), 1e-12) for x, y in zip(a, b) if x is not None), default=0.0)
    assert worst <= rel, (a, b)
    return worst


def _compare(out: Path, single: dict[str, archwise.Monitor]) -> dict[str, float]:
    """Asserts the rank-0 records equal the one-process runs (within float32 rounding) and the ranks'
    diagnoses equal the one-process diagnoses; returns the largest relative difference per quantity."""
    worst = dict.fromkeys(("grad_norm", "weight_norm", "update_ratio", "loss"), 0.0)
    for fault, mon in single.items():
        rec = archwise.load_record(out / "records" / f"{fault}.rank0.jsonl")
        one = mon.record
        assert [vars(x) for x in rec.layers] == [vars(x) for x in one.layers]
        assert [vars(x) for x in rec.activations] == [vars(x) for x in one.activations]
        assert len(rec.steps) == len(one.steps) and len(rec.sampled()) == len(one.sampled()) > 10
        for a, b in zip(rec.sampled(), one.sampled()):
            worst["grad_norm"] = max(worst["grad_norm"], _close(a.grad_norm, b.grad_norm, 1e-5))
            worst["weight_norm"] = max(worst["weight_norm"], _close(a.weight_norm, b.weight_norm, 1e-5))
            worst["update_ratio"] = max(worst["update_ratio"], _close(a.update_ratio, b.update_ratio, 1e-4))
            _close(a.dead, b.dead, 1e-9)
        worst["loss"] = max(worst["loss"], _close([s.loss for s in rec.steps], [s.loss for s in one.steps], 1e-5))
        _close([e.val_metric for e in rec.epochs], [e.val_metric for e in one.epochs], 1e-6)
        _close([e.train_loss for e in rec.epochs], [e.train_loss for e in one.epochs], 1e-5)
        assert rec.meta["input"]["shape"] == one.meta["input"]["shape"] == [64, 64]   # the global batch
        assert math.isclose(rec.meta["input"]["std"], one.meta["input"]["std"], rel_tol=1e-9)
        problems = [row for row in digits.summary(mon) if row[0] not in TIMING]
        for rank in (0, 1):
            seen = json.loads((out / "ranks" / f"{fault}.{rank}.json").read_text())
            assert [row for row in seen["diagnoses"] if row[0] not in TIMING] == problems
            assert seen["bit_identical"]
    return worst


def test_ddp_rank_0_writes_the_one_record_of_each_run(ddp):
    assert sorted(p.name for p in (ddp / "records").iterdir()) == ["dead_relu.rank0.jsonl", "healthy.rank0.jsonl"]
    rec = archwise.load_record(ddp / "records" / "healthy.rank0.jsonl")
    assert rec.meta["world_size"] == 2 and rec.meta["wrappers"] == ["DistributedDataParallel"]
    assert [layer.name for layer in rec.layers] == ["fc1", "fc2", "out"]          # no "module." prefix
    assert [a.name for a in rec.activations] == ["act", "fc2 · F.relu #1"]


def test_ddp_matches_one_process_on_the_global_batches(ddp, single):
    """Per-layer norms, losses, dead units and epoch values agree; the diagnoses are the same on both
    ranks and as in one process, and the weights are bit-identical to a run without the monitor."""
    worst = _compare(ddp, single)
    assert worst["grad_norm"] <= 1e-5 and worst["loss"] <= 1e-5 and worst["update_ratio"] <= 1e-4
    dead = [row for row in digits.summary(single["dead_relu"]) if row[0] == "dead_units"]
    assert dead == [["dead_units", "warning", "check_initialization"]]
    assert not [row for row in digits.summary(single["healthy"]) if row[1] != "info" and row[0] not in TIMING]


def test_ddp_refusals_are_one_line_and_the_same_on_every_rank(ddp):
    seen = [json.loads((ddp / "ranks" / f"refusals.{rank}.json").read_text()) for rank in (0, 1)]
    assert seen[0] == seen[1]
    assert "use_orig_params=True" in seen[0]["flat_params"] and "\n" not in seen[0]["flat_params"]
    assert "on every rank" in seen[0]["mismatch"]


@pytest.mark.slow
@pytest.mark.parametrize("wrap", ["fsdp2", "fsdp1"])
def test_fsdp_norms_of_sharded_layers_match_one_process(wrap, single, tmp_path):
    """FSDP2's DTensor shards and FSDP1's flat views (use_orig_params=True): each layer's norm is the
    root of the squares summed over the ranks, so it equals the unsharded run's. A rank's shard alone
    holds about half a layer, so a norm taken without the sum over ranks would be off by ~30 %."""
    out = _torchrun(tmp_path, wrap)
    rec = archwise.load_record(out / "records" / "healthy.rank0.jsonl")
    assert rec.meta["world_size"] == 2
    assert rec.meta["wrappers"] == (["fully_shard"] if wrap == "fsdp2" else ["FullyShardedDataParallel"])
    worst = _compare(out, single)
    assert worst["grad_norm"] <= 1e-5 and worst["weight_norm"] <= 1e-5, worst
    assert worst["update_ratio"] <= 1e-4 and worst["loss"] <= 1e-5, worst
