"""Latency: the roofline against hand arithmetic, calibration, and measurement on this CPU."""

from __future__ import annotations

import json

import pytest
import torch

import archwise
from archwise.devices import calibration_path, get_device, local_cpu
from archwise.profile._trace import OpCost
from archwise.profile.latency import calibrate, in_precision, op_time, predict
from tests.profile.test_untouched import assert_same, snapshot


def test_roofline_by_hand():
    h100 = get_device("h100-sxm")
    n = 8192
    matmul = OpCost("forward", "fc", "matmul", 2 * n**3, 3 * n * n * 2, "bf16", n)
    seconds, compute_bound = op_time(matmul, h100)
    assert compute_bound and seconds == pytest.approx(2 * n**3 / 989.4e12)
    add = OpCost("forward", "act", "other", 0, 3 * n * n * 4, "fp32")
    seconds, compute_bound = op_time(add, h100)
    assert not compute_bound and seconds == pytest.approx(3 * n * n * 4 / 3.35e12)
    conv = OpCost("forward", "conv", "conv", 10**12, 1, "fp32", 64)  # fp32 convolutions run as TF32 on Ampere+
    assert op_time(conv, h100)[0] == pytest.approx(1e12 / 494.7e12)


def test_prediction_adds_launches_and_layers_sum_to_totals():
    a100 = get_device("a100-80gb")
    costs = [OpCost("forward", "a", "matmul", 10**9, 10**6, "fp32", 512),
             OpCost("forward", "b", "other", 0, 10**6, "fp32"),
             OpCost("backward", "a", "matmul", 2 * 10**9, 2 * 10**6, "fp32", 512)]
    r = predict(costs, a100, batch_size=4, optimizer_bytes=10**8, optimizer_kernels=12)
    by_hand_forward = 10**9 / 19.5e12 + 10**6 / 2.039e12 + 2 * 5e-6
    assert r.forward_s == pytest.approx(by_hand_forward)
    assert r.train_step_s == pytest.approx(by_hand_forward + 2 * 10**9 / 19.5e12 + 5e-6 + 10**8 / 2.039e12 + 12 * 5e-6)
    assert sum(x.forward_s for x in r.per_layer) == pytest.approx(r.forward_s)
    assert sum(x.forward_s + x.backward_s for x in r.per_layer) + r.optimizer_s == pytest.approx(r.train_step_s)
    assert r.throughput == pytest.approx(4 / r.forward_s)


def test_recurrent_steps_are_one_fused_kernel():
    steps = [OpCost("forward", "lstm", "rnn", 1000, 100, "fp32", 32) for _ in range(50)]
    r = predict(steps, get_device("a100-80gb"), 1)
    assert r.forward_s == pytest.approx(max(50_000 / 19.5e12, 5_000 / 2.039e12) + 5e-6)  # one launch, not fifty


def test_mixed_precision_moves_matrix_products_to_the_low_dtype():
    costs = [OpCost("forward", "fc", "matmul", 100, 40, "fp32", 8), OpCost("forward", "act", "other", 0, 40, "fp32")]
    mixed = in_precision(costs, "bf16-mixed")
    assert (mixed[0].dtype, mixed[0].bytes, mixed[1].dtype, mixed[1].bytes) == ("bf16", 20, "fp32", 40)
    pure = in_precision(costs, "bf16")
    assert (pure[1].dtype, pure[1].bytes) == ("bf16", 20)


def test_profile_predicts_for_a_catalog_device(examples):
    p = archwise.profile(examples.ResNet(), [(32, 3, 32, 32)], device="a100-80gb")
    latency = p.latency
    assert latency.device == "a100-80gb" and latency.forward_s > 0 and latency.train_step_s > latency.forward_s
    assert latency.measured_forward_s is None
    assert p.to_dict()["latency"]["measured_ms"] is None


@pytest.fixture
def calibrated(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHWISE_CACHE_DIR", str(tmp_path))
    calibrate(quick=True)
    return tmp_path


def test_calibration_is_stored_and_read(calibrated):
    stored = json.loads(calibration_path().read_text())
    assert calibration_path().parent == calibrated
    cpu = local_cpu()
    assert cpu.bandwidth == stored["bandwidth"] > 1e9
    assert cpu.peak_flops["fp32"] == stored["kind_flops"]["matmul"]["fp32"] > 1e9
    assert cpu.curves["conv"]["fp32"] and cpu.launch_overhead_s > 0


def test_measure_beside_prediction_on_this_cpu(calibrated, examples):
    model = examples.ResNet()
    before = snapshot(model)
    p = archwise.profile(model, [(8, 3, 32, 32)], measure=True, train=True)
    latency = p.latency
    assert latency.device == "cpu" and latency.measured_forward_s > 0 and latency.measured_train_step_s > 0
    assert latency.forward_s > 0
    assert_same(before, snapshot(model))  # timed on copies: batch-norm statistics untouched


def test_uncalibrated_cpu_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHWISE_CACHE_DIR", str(tmp_path))
    p = archwise.profile(torch.nn.Linear(8, 8), [(2, 8)], device="cpu")
    assert p.latency is None and any("not calibrated" in n for n in p.notes)


def test_meta_model_is_not_measured_without_weights(calibrated):
    with torch.device("meta"):
        model = torch.nn.Linear(8, 8)
    p = archwise.profile(model, [(2, 8)], measure=True)
    assert p.latency.measured_forward_s is None
    assert any("no weights" in n for n in p.latency.notes)
