"""The keep/reject rule, against hand-worked cases: the threshold, the noise rule (paired seed spread and
test-row standard error), the best simpler rung, and the recommendation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from archwise.ladder.rule import judge, paired_se


def _judge(errors, rows=None, threshold=0.05):
    names = [f"r{i}" for i in range(len(errors))]
    return judge(names, errors, rows or [None] * len(errors), threshold)


def test_the_first_rung_is_the_baseline():
    v = _judge([[0.2, 0.2]])
    assert v[0].kept and "baseline" in v[0].reason


def test_threshold_is_relative_and_strict():
    # 0.100 → 0.096 is a 4 % cut: rejected at 5 %; 0.100 → 0.094 is 6 %: kept (no spread).
    assert not _judge([[0.1, 0.1], [0.096, 0.096]])[1].kept
    v = _judge([[0.1, 0.1], [0.094, 0.094]])[1]
    assert v.kept and v.cut == pytest.approx(0.06) and v.gain == pytest.approx(0.006)
    assert "only 4 %" in _judge([[0.1, 0.1], [0.096, 0.096]])[1].reason
    assert not _judge([[0.1, 0.1], [0.095, 0.095]])[1].kept  # exactly 5 % is not more than 5 %


def test_noise_rule_rejects_a_gain_within_twice_the_seed_spread():
    # means 0.10 and 0.08 (a 20 % cut); the candidate's seeds spread with std 0.02: 2 × 0.02 > 0.02 gain.
    cand = [0.06, 0.08, 0.10]
    assert np.std(cand, ddof=1) == pytest.approx(0.02)
    v = _judge([[0.1, 0.1, 0.1], cand])[1]
    assert not v.kept and v.noise == pytest.approx(0.02) and "within twice the noise" in v.reason
    assert "paired spread across seeds" in v.reason
    # the same means with a tight spread are kept
    assert _judge([[0.1, 0.1, 0.1], [0.079, 0.08, 0.081]])[1].kept


def test_noise_rule_uses_the_spread_of_the_paired_difference():
    v = _judge([[0.06, 0.10, 0.14], [0.05, 0.05, 0.05]])[1]  # the baseline is the noisy one (std 0.04)
    assert v.noise == pytest.approx(0.04) and not v.kept  # gains 0.01, 0.05, 0.09: sd 0.04 by hand


def test_a_rung_that_wins_on_every_seed_is_kept_however_noisy_each_rung_is():
    # Issue 24: both rungs spread with sd 0.01 across seeds (the larger-spread rule said 2 × 0.01 > 0.015 and
    # rejected), but the candidate beats the simpler rung by 0.015 on each seed: the paired gain does not vary.
    simpler, cand = [0.040, 0.050, 0.060], [0.025, 0.035, 0.045]
    assert np.std(simpler, ddof=1) == pytest.approx(0.01) and np.std(cand, ddof=1) == pytest.approx(0.01)
    v = _judge([simpler, cand])[1]
    assert v.kept and v.noise == pytest.approx(0.0, abs=1e-12) and v.gain == pytest.approx(0.015)


def test_a_gain_that_flips_with_the_seed_is_noise_even_when_each_rung_is_steady():
    # each rung alone spreads by 0.005, but the ranking flips between seeds: the paired gains 0.02, 0.00, 0.01
    # spread by 0.01 (hand formula), and 2 × 0.01 > the 0.01 gain
    v = _judge([[0.05, 0.04, 0.045], [0.03, 0.04, 0.035]])[1]
    assert v.noise == pytest.approx(0.01) and not v.kept


def test_digits_scores_measured_without_a_time_cap_keep_the_cnn():
    # Per-seed test errors of `archwise ladder digits` (seeds 0, 1, 2) measured on 2026-12-03 after the time cap
    # was removed; the rows are left out, so only the paired seed spread is the noise here.
    errors = {"linear": [0.0446, 0.0474, 0.0446], "mlp-128": [0.0306, 0.0362, 0.0418],
              "mlp-256x2": [0.0334, 0.0334, 0.0501], "resnet": [0.0167, 0.0223, 0.0223]}
    v = judge(list(errors), list(errors.values()), [None] * 4, 0.05)
    assert [x.kept for x in v] == [True, False, False, True]  # mlp-128 by the noise rule, mlp-256x2 no better
    assert v[3].against == "mlp-128" and v[3].gain == pytest.approx(0.0362 - 0.02043, abs=1e-4)
    assert v[3].noise == pytest.approx(np.std([0.0139, 0.0139, 0.0195], ddof=1))


def test_noise_rule_uses_the_test_rows_standard_error_when_larger():
    # 100 test rows: the simpler rung is wrong on 10, the candidate on 7 (3 rows fixed): gain 0.03.
    simpler = np.zeros(100)
    simpler[:10] = 1
    cand = np.zeros(100)
    cand[3:10] = 1
    se = paired_se(simpler, cand)
    d = simpler - cand
    assert se == pytest.approx(d.std(ddof=1) / 10)  # hand formula: sd of the paired differences / √n
    v = _judge([[0.1, 0.1], [0.07, 0.07]], [simpler, cand])[1]
    assert v.noise == pytest.approx(se) and not v.kept and "standard error over the test rows" in v.reason
    # 30 of 100 rows fixed: the gain 0.3 is far outside the noise
    cand2 = np.zeros(100)
    v = _judge([[0.3, 0.3], [0.0001, 0.0001]], [np.r_[np.ones(30), np.zeros(70)], cand2])[1]
    assert v.kept


def test_compared_with_the_best_simpler_rung_not_the_previous_one():
    v = _judge([[0.10, 0.10], [0.05, 0.05], [0.08, 0.08]])
    assert v[2].against == "r1" and not v[2].kept and "no better than 'r1'" in v[2].reason


def test_a_rejected_rung_still_sets_the_bar():
    # r1 improves on r0 by 4 % (rejected); r2 must beat r1's lower error, not only r0's.
    v = _judge([[0.100, 0.100], [0.096, 0.096], [0.0925, 0.0925]])
    assert not v[1].kept and v[2].against == "r1" and v[2].cut == pytest.approx(1 - 0.0925 / 0.096)
    assert not v[2].kept  # 3.6 % against r1, although 7.5 % against r0


def test_zero_error_baseline_cannot_be_beaten():
    v = _judge([[0.0, 0.0], [0.0, 0.0]])[1]
    assert not v.kept and "already has zero test error" in v.reason


def test_failed_rung_is_rejected_and_skipped_as_a_bar():
    v = _judge([[0.1, 0.1], [math.nan, math.nan], [0.05, 0.05]])
    assert not v[1].kept and "training failed" in v[1].reason
    assert v[2].against == "r0" and v[2].kept


def test_worse_is_rejected_with_both_errors():
    v = judge(["a", "b"], [[0.02, 0.02], [0.03, 0.03]], [None, None], 0.05, fmt=lambda e: f"{100 * e:.1f} %")[1]
    assert v.reason == "rejected: no better than 'a' (error 3.0 % against 2.0 %)"
