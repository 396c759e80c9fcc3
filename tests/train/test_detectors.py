"""Each detector on synthetic records: it fires on the pattern, stays quiet on noise, is
scale-free, respects the gate, and reads its thresholds from the config."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

import archwise
from archwise.errors import ArchwiseError
from archwise.train import DETECTORS, PROBLEMS, DiagnoseConfig, diagnose
from archwise.train.record import EpochRecord, LayerInfo, StepRecord, TrainingRecord


def record(losses, grads=None, every=10, epochs=(), layers=None, higher=True):
    layers = layers or [LayerInfo(f"fc{i}", "Linear", 10) for i in range(len(grads[0]) if grads else 2)]
    rec = TrainingRecord(meta={"every": every, "metric_higher_is_better": higher, "trainable_params": 20},
                         layers=layers)
    for i, loss in enumerate(losses):
        s = StepRecord(step=i, loss=loss, opt_step=i + 1)
        if grads is not None and i % every == 0:
            s.grad_norm = list(grads[min(i // every, len(grads) - 1)])
            s.weight_norm = [1.0] * len(layers)
            s.update_ratio = [1e-3] * len(layers)
        rec.steps.append(s)
    for e in epochs:
        rec.epochs.append(EpochRecord(**e))
    return rec


def noisy(curve, sigma, seed=0):
    rng = random.Random(seed)
    return [v * math.exp(rng.gauss(0, sigma)) for v in curve]


def problems(rec, **kw):
    return {d.problem: d.severity.value for d in diagnose(rec, **kw)}


def decaying(n=400, start=2.3, end=0.1):
    return [end + (start - end) * math.exp(-5 * i / n) for i in range(n)]


def test_one_detector_per_file_in_the_reporting_order():
    assert tuple(DETECTORS) == PROBLEMS
    folder = Path(archwise.train.detectors.__file__).parent
    assert {p.stem for p in folder.glob("[a-z]*.py")} == set(PROBLEMS)


def test_a_healthy_noisy_curve_raises_nothing_at_any_scale():
    for scale in (1e-3, 1.0, 1e3):
        losses = noisy([scale * v for v in decaying()], 0.3)
        assert problems(record(losses)) == {}, scale


def test_oscillation_fires_on_swings_not_on_noise_and_is_scale_free():
    base = [0.5] * 200 + [0.5 * (1 + 0.6 * math.sin(2 * math.pi * i / 50)) for i in range(200)]
    for scale in (1e-3, 1.0, 1e3):
        assert problems(record(noisy([scale * v for v in base], 0.05))) == {"oscillation": "warning"}
    flat_noise = [1.0] * 200 + noisy([0.5] * 200, 0.4)
    assert "oscillation" not in problems(record(flat_noise))


def test_gradient_statistics_are_gated_by_the_loss():
    vanishing = [[1e-9, 1e-8, 0.3]] * 40
    learning = record(noisy(decaying(), 0.1), vanishing)
    stuck = record(noisy([0.69] * 400, 0.02), vanishing)
    assert problems(learning) == {"vanishing_gradients": "info"}
    assert problems(stuck) == {"vanishing_gradients": "warning", "loss_not_decreasing": "warning"}
    first = diagnose(stuck)[0]
    assert first.problem == "vanishing_gradients"
    assert first.evidence["layers"] == ["fc0", "fc1"] and "fc0–fc1" in first.summary
    # the threshold is configurable: a stricter ratio finds nothing
    assert "vanishing_gradients" not in problems(stuck, vanishing_ratio=1e-9, vanishing_abs=1e-10)


def test_divergence_and_non_finite():
    down_up = decaying(200) + [0.1 * math.exp(3 * i / 200) for i in range(200)]
    assert problems(record(noisy(down_up, 0.05))) == {"divergence": "warning"}
    nan = decaying(200) + [float("nan")] * 20
    d = diagnose(record(nan))[0]
    assert (d.problem, d.severity.value, d.evidence["first_nonfinite_step"]) == ("non_finite", "error", 200)
    assert d.prescriptions[0].action == "lower_learning_rate"


def test_exploding_needs_growth_or_size_and_is_gated():
    grads = [[0.5, 0.5]] * 5 + [[5e4, 2e5]] * 35
    rec = record(noisy([2.0] * 400, 0.05), grads)
    d = next(d for d in diagnose(rec) if d.problem == "exploding_gradients")
    assert d.severity.value == "warning" and d.evidence["max_grad_norm"] == 2e5 and d.evidence["max_grad_layer"] == "fc1"
    assert "exploding_gradients" not in problems(record(noisy([2.0] * 400, 0.05), [[0.5, 0.5]] * 40))


def epochs_from(train, val, train_m=None, val_m=None):
    return [dict(epoch=i, step=10 * i, train_loss=t, val_loss=v,
                 train_metric=None if train_m is None else train_m[i], val_metric=None if val_m is None else val_m[i])
            for i, (t, v) in enumerate(zip(train, val))]


def test_overfitting_needs_a_rise_beyond_the_val_curves_wobble():
    train = [1 / (i + 1) for i in range(12)]
    rising = [1.0, 0.8, 0.7, 0.65, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4]
    assert problems(record(decaying(), epochs=epochs_from(train, rising)))["overfitting"] == "warning"
    wobble = [1.0, 0.6, 0.75, 0.55, 0.7, 0.5, 0.65, 0.45, 0.62, 0.44, 0.6, 0.58]
    assert "overfitting" not in problems(record(decaying(), epochs=epochs_from(train, wobble)))
    # a metric gap counts too (the seed's 99% vs 70%)
    flat = [0.5] * 12
    gap = problems(record(decaying(), epochs=epochs_from(flat, flat, [0.99] * 12, [0.70] * 12)))
    assert gap["overfitting"] == "warning"


def test_underfitting_from_the_metric_or_from_the_loss():
    flat = [0.6] * 6
    low = record(decaying(), epochs=epochs_from(flat, flat, [0.65] * 6, [0.63] * 6))
    assert problems(low) == {"underfitting": "warning"}
    good = record(decaying(), epochs=epochs_from(flat, flat, [0.97] * 6, [0.95] * 6))
    assert problems(good) == {}
    # regression, no metric: the loss fell 20% and stays there → underfitting; fell 95% → fine
    barely = [1.0 - 0.2 * (1 - math.exp(-i / 30)) for i in range(400)]
    assert problems(record(barely, epochs=epochs_from([0.8] * 5, [0.81] * 5))) == {"underfitting": "warning"}
    assert problems(record(decaying(), epochs=epochs_from([0.1] * 5, [0.1] * 5))) == {}


def test_too_little_history_raises_nothing():
    assert problems(record([2.3, float(2.2), 2.1])) == {}
    assert problems(record(decaying(), epochs=epochs_from([1, 2], [1, 3]))) == {}


def test_config_overrides_are_checked():
    with pytest.raises(ArchwiseError, match="unknown diagnose threshold 'dead_fractoin'.*did you mean 'dead_fraction'"):
        diagnose(record(decaying()), dead_fractoin=0.2)
    with pytest.raises(ArchwiseError, match="expects a number"):
        DiagnoseConfig().with_overrides(flat_loss="much")
    assert DiagnoseConfig().with_overrides(min_steps="30").min_steps == 30


def test_thresholds_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.archwise.diagnose]\nflat_loss = 0.5\nmin_epochs = 2\n")
    cfg = DiagnoseConfig.from_pyproject(start=tmp_path)
    assert (cfg.flat_loss, cfg.min_epochs, cfg.dead_fraction) == (0.5, 2, DiagnoseConfig().dead_fraction)
    (tmp_path / "pyproject.toml").write_text("[tool.archwise.diagnose]\nflat_los = 0.5\n")
    with pytest.raises(ArchwiseError, match=r"unknown diagnose threshold 'flat_los'.*\[tool.archwise.diagnose\]"):
        DiagnoseConfig.from_pyproject(start=tmp_path)
    # check's loader accepts the table beside its own
    from archwise.rules.config import load_config

    (tmp_path / "pyproject.toml").write_text("[tool.archwise]\nfail-on = 'warning'\n[tool.archwise.diagnose]\nflat_loss = 0.5\n")
    assert load_config(start=tmp_path).fail_on.value == "warning"


# ---- the round-4 rules (each from a blind realistic case it missed; see tests/train/realistic.py) -----

def test_a_nan_after_the_loss_blew_up_is_the_learning_rate_and_after_a_steady_fall_the_data():
    blown = [1.0, 3.0, 50.0, 4e3, 2e6, 3e9] + [float("nan")] * 30
    d = diagnose(record(blown, every=1000))[0]
    assert d.problem == "non_finite" and d.prescriptions[0].action == "lower_learning_rate"
    assert d.evidence["loss_growth_before"] == pytest.approx(3e9)
    steady = [1.0 * 0.9 ** i for i in range(6)] + [float("nan")] * 30   # log(0) after a clean fall
    d = diagnose(record(steady, [[0.5, 0.5]] * 40, every=1))[0]                # gradients steady before it
    assert d.problem == "non_finite" and d.prescriptions[0].action == "check_data_and_loss"


def _binary(losses, acc, probability_rows=1.0):
    rec = record(losses, epochs=epochs_from([losses[-1]] * 5, [losses[-1]] * 5, [acc] * 5, [acc] * 5))
    rec.meta["output"] = {"features": 1, "probability_rows": probability_rows}
    return rec


def test_a_sigmoid_into_bce_with_logits_sits_on_its_floor():
    floor = math.log(1 + 1 / math.e)
    stuck = [floor + 0.15 + 0.5 * math.exp(-i / 40) for i in range(400)]
    assert diagnose(_binary(stuck, 0.99))[0].problem == "probabilities_into_logit_loss"
    # the same outputs into BCELoss (right) go far below 0.313 once accurate; logits are not in [0, 1]
    assert "probabilities_into_logit_loss" not in problems(_binary([0.05 + 0.6 * math.exp(-i / 40)
                                                                   for i in range(400)], 0.99))
    assert "probabilities_into_logit_loss" not in problems(_binary(stuck, 0.99, probability_rows=0.5))
    assert "probabilities_into_logit_loss" not in problems(_binary(stuck, 0.7))   # an inaccurate model: no claim


def _regression(losses):
    rec = record(losses)
    rec.meta["output"] = {"features": 1}
    return rec


def test_unscaled_targets_also_when_the_loss_fell_but_ends_in_the_thousands():
    fell_far = [7e3 + 1.1e5 * math.exp(-i / 30) for i in range(400)]            # 1.2e5 → 7e3: 94 % lower
    assert diagnose(_regression(fell_far))[0].problem == "unscaled_targets"
    assert "unscaled_targets" not in problems(_regression([0.5 + 300 * math.exp(-i / 30) for i in range(400)]))


def test_weight_decay_that_wins_after_an_early_fall():
    losses = [0.65 + 0.8 * math.exp(-i / 10) for i in range(400)]                 # falls early, then flat
    rec = record(noisy(losses, 0.02), [[0.1, 0.1]] * 40)
    rec.meta["optimizer"] = {"type": "SGD", "lr": 0.05, "weight_decay": 0.3}
    for i, s in enumerate(rec.sampled()):
        s.weight_norm = [5.0 * 0.95 ** i, 1.0 * 0.95 ** i]                      # shrinking to 14 %
    d = diagnose(rec)[0]
    assert d.problem == "weight_decay_too_high" and d.evidence["second_half_progress"] < 0.05
    for s in rec.sampled():
        s.weight_norm = [5.0, 1.0]
    assert "weight_decay_too_high" not in problems(rec)


def test_an_update_as_large_as_the_weights_warns_even_while_the_loss_falls():
    rec = record(noisy(decaying(), 0.05), [[0.5, 0.5]] * 40)
    rec.sampled()[0].update_ratio = [1.3, 1e-3]
    assert problems(rec)["exploding_gradients"] == "warning"
    rec.sampled()[0].update_ratio = [0.3, 1e-3]
    assert problems(rec)["exploding_gradients"] == "info"                        # large, but the gate holds


def test_train_longer_warns_for_a_short_or_steep_run_and_notes_a_long_slow_one():
    def run(train_losses, acc):
        n = len(train_losses)
        return diagnose(record(decaying(), epochs=epochs_from(train_losses, train_losses, [acc] * n, [acc] * n)))

    slow_long = [1.0 * 0.96 ** i for i in range(15)]                  # 4 % an epoch after 15 epochs
    d = next(d for d in run(slow_long, 0.75) if d.problem == "underfitting")
    assert d.severity.value == "info" and d.prescriptions[0].action == "train_longer"
    slow_short = [1.0, 0.965, 0.93]                                     # 3.5 % an epoch, but only 3 epochs
    d = next(d for d in run(slow_short, 0.44) if d.problem == "underfitting")
    assert d.severity.value == "warning" and d.prescriptions[0].action == "train_longer"
    steep_two = [1.0, 0.72]                                             # 2 epochs, still in its steep descent
    d = next(d for d in run(steep_two, 0.55) if d.problem == "underfitting")
    assert d.severity.value == "warning" and d.prescriptions[0].action == "train_longer"
    assert not [d for d in run([1.0, 0.97], 0.55) if d.problem == "underfitting"]   # 2 flat epochs: too little
