"""The fault suite: each fault is a small real training, diagnosed with the right problem first and
the seed's first prescription; the healthy runs get no diagnosis of severity warning or above.

benchmarks/diagnose_suite.py runs the same scenarios over several seeds for the recall and
false-alarm figures in the README.
"""

from __future__ import annotations

import pytest

from archwise.rules.registry import Severity

from . import scenarios as S


def _serious(diagnoses):
    return [d for d in diagnoses if d.severity.rank >= Severity.WARNING.rank]


@pytest.mark.parametrize("scenario", S.FAULTS, ids=[s.name for s in S.FAULTS])
def test_fault_is_diagnosed_first_with_the_seeds_first_remedy(scenario):
    diagnoses = _serious(scenario.run(0).diagnose())
    assert diagnoses, f"{scenario.name}: nothing diagnosed"
    top = diagnoses[0]
    if scenario.expect is None:
        assert top.problem in S.HIGH_LR_PROBLEMS, [d.problem for d in diagnoses]
    else:
        assert top.problem == scenario.expect, [d.problem for d in diagnoses]
    assert top.prescriptions[0].action == scenario.first_action, top.prescriptions[0]
    assert top.evidence and top.summary


@pytest.mark.parametrize("scenario", S.HEALTHY, ids=[s.name for s in S.HEALTHY])
def test_healthy_run_has_no_warning(scenario):
    mon = scenario.run(0)
    # the run did learn: its validation loss ended well below where the first epoch left it
    epochs = mon.record.epochs
    assert epochs[-1].val_loss < epochs[0].val_loss
    serious = _serious(mon.diagnose())
    assert not serious, [(d.problem, d.summary) for d in serious]


def test_vanishing_evidence_names_the_layers_and_the_contrast():
    d = next(d for d in S.vanishing(0).diagnose() if d.problem == "vanishing_gradients")
    assert d.evidence["max_grad_norm"] > 1e3 * d.evidence["min_grad_norm"]
    assert len(d.evidence["layers"]) >= 10
    assert "20 weighted layers" in d.prescriptions[0].text


def test_overfitting_evidence_gives_the_capacity_ratio_and_best_epoch():
    d = next(d for d in S.overfit(0).diagnose() if d.problem == "overfitting")
    assert d.evidence["params_per_sample"] == pytest.approx(301_066 / 100)
    assert [p.action for p in d.prescriptions] == ["reduce_capacity", "add_regularization", "augment_data",
                                                   "more_data"]
    assert f"epoch {d.evidence['best_epoch']}" in d.prescriptions[-1].text


def test_underfitting_on_a_plateau_puts_capacity_first_and_more_epochs_last():
    # issue 17 (5): "train longer" comes first only while the training loss still falls (> 1 % per epoch)
    d = next(d for d in S.underfit(0).diagnose() if d.problem == "underfitting")
    assert d.evidence["train_loss_fall_per_epoch"] < 0.01
    assert [p.action for p in d.prescriptions] == ["increase_capacity", "reduce_regularization", "check_learning_rate",
                                                   "train_longer"]
    assert "stopped falling" in d.prescriptions[0].text
