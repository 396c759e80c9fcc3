"""Latency: the roofline against hand arithmetic, calibration, and measurement on this CPU."""

from __future__ import annotations

import json

import pytest
import torch

import archwise
from archwise.devices import calibration_path, get_device, local_cpu
from archwise.profile._trace import OpCost
from archwise.profile.latency import calibrate, in_precision, op_time, optimizer_costs, predict
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
    step = [OpCost("optimizer", "(optimizer)", "other", 0, 10**8 // 12, "fp32") for _ in range(12)]
    r = predict([*costs, *step], a100, batch_size=4)
    by_hand_forward = 10**9 / 19.5e12 + 10**6 / 2.039e12 + 2 * 5e-6
    assert r.forward_s == pytest.approx(by_hand_forward)
    assert r.optimizer_s == pytest.approx(12 * (10**8 // 12) / 2.039e12 + 12 * 5e-6)
    assert r.train_step_s == pytest.approx(by_hand_forward + 2 * 10**9 / 19.5e12 + 5e-6 + r.optimizer_s)
    assert sum(x.forward_s for x in r.per_layer) == pytest.approx(r.forward_s)
    assert sum(x.forward_s + x.backward_s for x in r.per_layer) + r.optimizer_s == pytest.approx(r.train_step_s)
    assert r.throughput == pytest.approx(4 / r.forward_s)


def test_recurrent_steps_are_one_fused_kernel():
    steps = [OpCost("forward", "lstm", "rnn", 1000, 100, "fp32", 32) for _ in range(50)]
    r = predict(steps, get_device("a100-80gb"), 1)
    assert r.forward_s == pytest.approx(max(50_000 / 19.5e12, 5_000 / 2.039e12) + 5e-6)  # one launch, not fifty


def test_optimizer_step_is_traced_kernel_by_kernel():
    """SGD without momentum is one ``add_`` per tensor: weight and gradient read, weight written.
    AdamW's per-tensor loop and its multi-tensor form move the same bytes in far fewer ops."""
    model = torch.nn.Sequential(torch.nn.Linear(100, 50), torch.nn.Linear(50, 10))
    params = sum(p.numel() for p in model.parameters())
    sgd, _ = optimizer_costs(list(model.parameters()), "sgd", "fp32", foreach=False)
    assert [c.op for c in sgd if c.bytes] == ["add_"] * 4
    assert sum(c.bytes for c in sgd) == 3 * 4 * params
    loop, loop_ops = optimizer_costs(list(model.parameters()), "adamw", "fp32", foreach=False)
    multi, multi_ops = optimizer_costs(list(model.parameters()), "adamw", "fp32", foreach=True)
    assert {"lerp_", "addcmul_", "addcdiv_", "sqrt"} <= {c.op for c in loop}
    assert all(c.op.startswith("_foreach") for c in multi if c.bytes > 64)
    assert multi_ops < loop_ops
    # both read and write weights, gradients and two moments: at least 7 passes over the weights
    assert sum(c.bytes for c in loop) >= 7 * 4 * params and sum(c.bytes for c in multi) >= 7 * 4 * params
    bf16, _ = optimizer_costs(list(model.parameters()), "sgd", "bf16", foreach=False)
    assert sum(c.bytes for c in bf16) == 3 * 2 * params
    adafactor, _ = optimizer_costs(list(model.parameters()), "adafactor", "fp32", foreach=False)  # reads .item()
    assert sum(c.bytes for c in adafactor) > 0


def test_training_step_includes_the_loss_and_its_backward():
    from archwise.profile.latency import loss_costs

    ce, ce_ops = loss_costs((8, 10), torch.float32)
    assert {"_log_softmax", "nll_loss_forward", "nll_loss_backward", "_log_softmax_backward_data"} <= {c.op for c in ce}
    assert all(c.phase == "loss" for c in ce) and ce_ops >= len(ce)
    mse, _ = loss_costs((8,), torch.float32)
    assert {"mse_loss", "mse_loss_backward"} <= {c.op for c in mse}
    a100 = get_device("a100-80gb")
    forward = [OpCost("forward", "fc", "matmul", 10**9, 10**6, "fp32", 512)]
    with_loss = predict([*forward, *ce], a100, 8)
    assert with_loss.forward_s == predict(forward, a100, 8).forward_s  # inference has no loss
    assert with_loss.train_step_s > predict(forward, a100, 8).train_step_s


def test_convolutions_are_named_for_their_calibration():
    from archwise.profile._trace import OpRecorder

    x, full, depthwise, pointwise = torch.randn(2, 8, 6, 6), torch.randn(8, 8, 3, 3), torch.randn(8, 1, 3, 3), \
        torch.randn(16, 8, 1, 1)
    with OpRecorder("forward") as record:
        torch.nn.functional.conv2d(x, full)
        torch.nn.functional.conv2d(x, depthwise, groups=8)
        torch.nn.functional.conv2d(x, pointwise)
    assert [c.op for c in record.costs] == ["convolution", "convolution.depthwise", "convolution.pointwise"]
    assert all(c.kind == "conv" for c in record.costs)


def test_calibrated_kernel_rate_replaces_the_roofline_on_this_cpu(calibrated):
    cpu = local_cpu()
    curve = cpu.curves["ops"]["bernoulli_"]
    nbytes = curve[0][0]
    seconds, compute_bound = op_time(OpCost("forward", "drop", "other", 0, nbytes, "fp32", 0, "bernoulli_"), cpu)
    assert seconds == pytest.approx(nbytes / curve[0][1]) and not compute_bound
    unknown = OpCost("forward", "x", "other", 0, nbytes, "fp32", 0, "some_op")
    copy_rate = min(r for _, r in cpu.curves["copy"])
    assert op_time(unknown, cpu)[0] <= nbytes / copy_rate


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


@pytest.fixture(scope="module")
def quick_calibration(tmp_path_factory):
    """One quick calibration for the module (about 10 s), stored in its own folder."""
    folder = tmp_path_factory.mktemp("calibration")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARCHWISE_CACHE_DIR", str(folder))
        calibrate(quick=True)
        return calibration_path().read_text()


@pytest.fixture
def calibrated(tmp_path, monkeypatch, quick_calibration):
    monkeypatch.setenv("ARCHWISE_CACHE_DIR", str(tmp_path))
    calibration_path().parent.mkdir(parents=True, exist_ok=True)
    calibration_path().write_text(quick_calibration)
    return tmp_path


def test_calibration_is_stored_and_read(calibrated):
    stored = json.loads(calibration_path().read_text())
    assert calibration_path().parent == calibrated
    cpu = local_cpu()
    assert cpu.bandwidth == stored["bandwidth"] > 1e9
    assert cpu.peak_flops["fp32"] == stored["kind_flops"]["matmul"]["fp32"] > 1e9
    assert cpu.curves["conv"]["fp32"] and cpu.launch_overhead_s > 0
    assert {"convolution_backward", "convolution.pointwise", "convolution_backward.pointwise"} <= set(stored["curves"]["op_flops"])
    assert {"bernoulli_", "convolution.depthwise", "native_batch_norm_backward", "lerp_"} <= set(stored["curves"]["ops"])
    assert set(stored["curves"]["optimizer"]) == {"sgd", "momentum", "adam", "adamw", "adafactor"}


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


def test_calibration_from_an_older_archwise_says_to_recalibrate(calibrated):
    stored = json.loads(calibration_path().read_text())
    del stored["version"]
    calibration_path().write_text(json.dumps(stored))
    p = archwise.profile(torch.nn.Linear(8, 8), [(2, 8)], device="cpu")
    assert p.latency is not None and any("run archwise calibrate again" in n for n in p.latency.notes)
