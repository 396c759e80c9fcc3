"""``archwise.verify_fixes`` and ``archwise diagnose --verify``: a prescription measured, not guessed.

The fault cases are realistic runs from tests/train/realistic.py: each is trained with the Monitor and
diagnosed (the prescriptions choose the fixes, as they would for a user), then ``setup(seed)`` builds
the same model, optimizer, loss and data and ``verify_fixes`` re-runs it with each fix. The right fix
must come first, win from both seeds, and the whole verification must take less than 60 s (the time
the result measured, not a timing test). The other tests use small hand-made setups: the unchanged
run's row, the budget, a diverging fix, the user's objects and random state, iterable data, and the
errors a user meets.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace

import pytest
import torch
from torch import nn
from typer.testing import CliRunner

import archwise
from archwise.cli import app
from archwise.report.verify import verify_to_text

from . import realistic as R


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _setup(model, optimizer, loss_fn, data, batch_size=64):
    return archwise.TrainSetup(model, optimizer, loss_fn, data, batch_size)


# ---- five faults (and two more), each with the setup that reproduces it ---------------------------

def adam_lr_1e6(seed):  # realistic.low_lr_adam: Adam at 1e-6 on digits
    tr, _ = R.digits(seed)
    model = R.mlp([64, 128, 64, 10])
    return _setup(model, torch.optim.Adam(model.parameters(), lr=1e-6), nn.CrossEntropyLoss(), tr)


def adam_weight_decay_05(seed):  # realistic.wd_adam_l2_digits: Adam(weight_decay=0.5), coupled L2
    tr, _ = R.digits(seed)
    model = R.mlp([64, 256, 256, 10])
    return _setup(model, torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=0.5), nn.CrossEntropyLoss(), tr)


def raw_cancer_tanh(seed):  # realistic.unnormalised_cancer_tanh: raw breast-cancer features (areas to 2,500)
    tr, _ = R.cancer(seed, standardise=False)
    model = R.mlp([30, 64, 64, 1], act=nn.Tanh)
    return _setup(model, torch.optim.Adam(model.parameters(), lr=1e-3), nn.BCEWithLogitsLoss(), tr, 32)


def raw_diabetes_targets(seed):  # realistic.unscaled_targets_diabetes: MSE on targets 25-346
    tr, _ = R.diabetes(seed, scale_target=False)
    model = R.mlp([10, 64, 64, 1])
    return _setup(model, torch.optim.Adam(model.parameters(), lr=1e-3), nn.MSELoss(), tr, 32)


def tanh_std1_init(seed):  # realistic.gate_tanh_std1_digits: tanh layers drawn normal(std=1)
    tr, _ = R.digits(seed)
    model = R.mlp([64, 256, 256, 10], act=nn.Tanh)
    for fc in R.linears(model):
        nn.init.normal_(fc.weight, std=1.0)
        nn.init.normal_(fc.bias, std=1.0)
    return _setup(model, torch.optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss(), tr)


def frozen_body(seed):  # realistic.frozen_backbone: a random 64→128→8 body frozen, only the head trains
    tr, _ = R.digits(seed)
    body = R.mlp([64, 128, 8])
    for p in body.parameters():
        p.requires_grad_(False)
    model = nn.Sequential(body, nn.ReLU(), nn.Linear(8, 10))
    trainable = [p for p in model.parameters() if p.requires_grad]
    return _setup(model, torch.optim.Adam(trainable, lr=1e-2), nn.CrossEntropyLoss(), tr)


def sgd_lr_03(seed):  # realistic.gate_sgd_lr_kills_relu: SGD momentum 0.9 at lr 0.3
    tr, _ = R.digits(seed, scale="unit")
    model = R.mlp([64, 256, 256, 10])
    return _setup(model, torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9), nn.CrossEntropyLoss(), tr, 32)


FAULTS = [  # (the realistic case, its setup, the fix that must come first, steps)
    pytest.param(R.low_lr_adam, adam_lr_1e6, "raise_learning_rate", 600, id="adam_lr_1e-6"),
    pytest.param(R.wd_adam_l2_digits, adam_weight_decay_05, "reduce_weight_decay", 200, id="weight_decay_0.5"),
    pytest.param(R.unnormalised_cancer_tanh, raw_cancer_tanh, "normalize_inputs", 200, id="raw_cancer_inputs"),
    pytest.param(R.unscaled_targets_diabetes, raw_diabetes_targets, "standardize_targets", 300,
                 id="raw_diabetes_targets"),
    pytest.param(R.gate_tanh_std1_digits, tanh_std1_init, "check_initialization", 200, id="tanh_std1_init"),
    pytest.param(R.frozen_backbone, frozen_body, "increase_trainable_capacity", 200, id="frozen_body"),
    pytest.param(R.gate_sgd_lr_kills_relu, sgd_lr_03, "lower_learning_rate", 200, id="sgd_lr_0.3"),
]


@pytest.mark.parametrize("case, setup, right, steps", FAULTS)
def test_the_right_fix_comes_first_and_wins_from_both_seeds(case, setup, right, steps):
    found = case(0, loop="plain").diagnose()
    assert right in [p.action for d in found for p in d.prescriptions], "the diagnosis must prescribe it"
    result = archwise.verify_fixes(setup, found, steps=steps)
    assert result.fixes[0].action == right, result.verdict
    assert result.best is result.fixes[0] and result.confirmed, result.verdict
    assert result.verdict.startswith(f"{right} wins")
    assert result.best.ratio < 1 - result.cut and result.confirmation.ratio < 1 - result.cut
    assert result.seconds < 60 and sum(t.seconds for t in result.trials + result.second) <= result.seconds
    tried = [t for t in result.fixes if t.status is archwise.train.TrialStatus.OK]
    assert all(t.steps == steps for t in tried) and len(tried) >= 2, "more than one fix was compared"


def test_regression_losses_are_compared_in_the_targets_units():
    """Standardised targets train on a loss 1/var smaller; it is measured after scaling the outputs back."""
    result = archwise.verify_fixes(raw_diabetes_targets, fixes=["standardize_targets"], steps=50)
    base, fix = result.baseline, result.fixes[0]
    assert base.loss > 1_000 and fix.loss > 1_000  # MSE in (disease progression units)², not ≈ 1
    assert "mean 152" in fix.setting and "std 78.7" in fix.setting


# ---- the unchanged run's row, the ranking and the result -------------------------------------------

def _line(seed, lr=0.05, scale=3.0, n=256):
    """A linear regression on inputs with std ``scale``: SGD diverges above lr ≈ 2 / (2 scale²) = 0.11."""
    g = torch.Generator().manual_seed(seed)
    x = scale * torch.randn(n, 4, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    model = nn.Linear(4, 1)
    return _setup(model, torch.optim.SGD(model.parameters(), lr=lr), nn.MSELoss(), (x, y), 32)


def test_the_baseline_row_and_the_second_seed():
    result = archwise.verify_fixes(_line, fixes=["lower_learning_rate", "clip_gradients"], steps=30, seed=3)
    base = result.baseline
    assert (base.action, base.status.value, base.setting, base.ratio) == ("baseline", "ok", "SGD lr 0.05", None)
    assert base.seed == 3 and base.steps == 30 and base.loss > 0
    assert [t.action for t in result.second] == ["baseline"] + ([result.leader.action] if result.best else [])
    assert result.second[0].seed == 4 and result.noise == abs(result.second[0].loss - base.loss) / base.loss
    for t in result.fixes:
        assert t.ratio == pytest.approx(t.loss / base.loss)
    assert [t.loss for t in result.fixes] == sorted(t.loss for t in result.fixes)
    assert result.samples == 256
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["trials"][0]["action"] == "baseline" and data["verdict"] == result.verdict
    assert archwise.VerifyResult.from_dict(data) == result
    text = verify_to_text(result)
    assert "unchanged" in text and "verdict:" in text and "SGD lr 0.05" in text


def test_a_fix_that_goes_non_finite_ranks_last_and_says_where():
    result = archwise.verify_fixes(_line, fixes=["raise_learning_rate", "lower_learning_rate", "clip_gradients"],
                                   steps=200)
    last = result.fixes[-1]
    assert last.action == "raise_learning_rate" and last.status.value == "non_finite" and last.loss is None
    assert "at step" in last.note and last.steps < 200
    assert all(t.status.value == "ok" for t in result.fixes[:-1])


def test_a_diverging_unchanged_run_loses_to_any_finite_fix():
    result = archwise.verify_fixes(lambda seed: _line(seed, lr=0.5),
                                   fixes=["raise_learning_rate", "lower_learning_rate", "clip_gradients"], steps=100)
    assert result.baseline.status.value == "non_finite" and result.baseline.loss is None
    assert result.best is not None and result.best.action in ("lower_learning_rate", "clip_gradients")
    assert result.best.ratio is None and result.fixes[-1].action == "raise_learning_rate"
    assert "the unchanged run went non-finite" in result.verdict


def test_no_fix_beats_the_noise_is_said_so():
    """A weight decay of 1e-5 is not what holds a run back: lowering it wins nothing, and the verdict says so."""
    def healthy(seed):
        tr, _ = R.digits(seed)
        model = R.mlp([64, 64, 10])
        return _setup(model, torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=1e-5), nn.CrossEntropyLoss(),
                      tr)

    result = archwise.verify_fixes(healthy, fixes=["reduce_weight_decay"], steps=100)
    assert result.fixes[0].ratio == pytest.approx(1, abs=0.01) and result.best is None
    assert result.verdict.startswith("no fix beat the unchanged run by more than")
    assert "(the larger of 2% and the noise); the best was reduce_weight_decay at 1×" in result.verdict


# ---- the budget -----------------------------------------------------------------------------------

class Slow(nn.Module):
    """A linear model whose forward sleeps: a predictable step time."""

    def __init__(self, pause: float) -> None:
        super().__init__()
        self.fc, self.pause = nn.Linear(4, 1), pause

    def forward(self, x):
        time.sleep(self.pause)
        return self.fc(x)


def _slow(seed, pause=0.004):
    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(seed))
    model = Slow(pause)
    return _setup(model, torch.optim.SGD(model.parameters(), lr=0.01), nn.MSELoss(), (x, x.sum(1, keepdim=True)), 16)


def test_trials_that_do_not_fit_the_budget_are_skipped_and_named():
    # each trial ≈ 50 steps × 4 ms = 0.2 s; a 0.7 s budget holds the unchanged run and two fixes at most
    result = archwise.verify_fixes(_slow, fixes=["raise_learning_rate", "lower_learning_rate", "clip_gradients",
                                                 "check_initialization"], steps=50, budget="700ms")
    skipped = [t for t in result.fixes if t.status.value == "skipped"]
    assert skipped and all("budget left" in t.note for t in skipped)
    assert result.seconds < 0.7 + 0.1  # a skipped trial is never started
    assert not result.second or result.seconds < 0.8


def test_a_trial_running_past_the_budget_is_stopped():
    result = archwise.verify_fixes(_slow, fixes=["clip_gradients"], steps=10_000, budget=0.3)
    base = result.baseline
    assert base.status.value == "over_budget" and 0 < base.steps < 10_000 and base.loss is None
    assert result.seconds < 0.3 + 0.1
    assert result.fixes[0].status.value == "skipped" and result.best is None
    assert "did not finish" in result.verdict and "lower steps" in result.verdict


# ---- what archwise leaves alone, and other data ---------------------------------------------------

def test_the_users_objects_and_random_state_are_left_alone():
    x, y = R.cancer(0, standardise=False)[0]
    template = R.mlp([30, 16, 1])
    saved = {k: v.clone() for k, v in template.state_dict().items()}
    x0, y0 = x.clone(), y.clone()
    calls = []

    def setup(seed):
        calls.append(seed)
        model = R.mlp([30, 16, 1])
        model.load_state_dict(template.state_dict())
        return {"model": model, "optimizer": torch.optim.SGD(model.parameters(), lr=1e-3),
                "loss_fn": nn.BCEWithLogitsLoss(), "data": (x, y), "batch_size": 32}

    torch.manual_seed(123)
    random.seed(123)
    state = torch.get_rng_state(), random.getstate()
    result = archwise.verify_fixes(setup, fixes="all", steps=20)
    assert torch.equal(torch.get_rng_state(), state[0]) and random.getstate() == state[1]
    assert torch.equal(x, x0) and torch.equal(y, y0)  # standardising made new tensors
    assert all(torch.equal(v, saved[k]) for k, v in template.state_dict().items())
    assert set(calls) == {0, 1} and calls.count(0) == 1 + sum(t.status.value == "ok" for t in result.fixes)


def test_a_setup_that_returns_the_same_model_twice_is_refused():
    model = nn.Linear(4, 1)
    x = torch.randn(32, 4)

    def setup(seed):
        return _setup(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), (x, x[:, :1]))

    with pytest.raises(archwise.ArchwiseError, match="returned the model object it returned before"):
        archwise.verify_fixes(setup, fixes=["clip_gradients"], steps=5)


def test_a_dataloader_works_as_data():
    def setup(seed):
        (x, y), _ = R.cancer(seed, standardise=False)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
        model = R.mlp([30, 64, 64, 1], act=nn.Tanh)
        return _setup(model, torch.optim.Adam(model.parameters(), lr=1e-3), nn.BCEWithLogitsLoss(), loader)

    result = archwise.verify_fixes(setup, fixes=["normalize_inputs", "clip_gradients"], steps=150)
    assert result.best is not None and result.best.action == "normalize_inputs"
    assert result.samples == 426  # every batch read ahead (fewer than 2,048 samples)


# ---- errors ---------------------------------------------------------------------------------------

def _ok(seed):
    return _line(seed)


@pytest.mark.parametrize("setup, kwargs, message", [
    (None, {}, "expected a function setup(seed)"),
    (lambda s: [1, 2], {}, "setup(0) returned list; expected archwise.TrainSetup"),
    (lambda s: {"model": nn.Linear(1, 1)}, {}, "returned a dict without optimizer, loss_fn, data"),
    (lambda s: {**vars(_line(s)), "lr": 1}, {}, "returned a dict with key 'lr'"),
    (lambda s: _setup(nn.Linear(4, 1), torch.optim.SGD(nn.Linear(4, 1).parameters(), lr=0.1), nn.MSELoss(),
                      _line(s).data), {}, "the optimizer holds none of the model's parameters"),
    (lambda s: replace(_line(s), data=torch.randn(8, 4)), {}, "data is Tensor"),
    (lambda s: 1 / 0, {}, "setup(0) raised ZeroDivisionError: division by zero"),
    (lambda s: replace(_line(s), loss_fn=nn.MSELoss(reduction="none")), {}, "loss_fn returned (32, 1); expected a scalar"),
    (_ok, {"steps": 0}, "steps must be a positive whole number"),
    (_ok, {"fixes": ["lr_up"]}, "unknown fix 'lr_up'"),
    (_ok, {"budget": "soon"}, "budget must be a positive time"),
])
def test_bad_input_fails_with_one_line(setup, kwargs, message):
    with pytest.raises(archwise.ArchwiseError) as err:
        archwise.verify_fixes(setup, **{"fixes": ["clip_gradients"], "steps": 5, **kwargs})
    assert message in str(err.value) and "\n" not in str(err.value)


# ---- the command line -----------------------------------------------------------------------------

SCRIPT = '''
import torch
from torch import nn
import archwise

def setup(seed):
    torch.manual_seed(seed)
    x = torch.randn(512, 8)
    y = (x[:, :1] - x[:, 1:2] > 0).float()
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    return archwise.TrainSetup(model, torch.optim.Adam(model.parameters(), lr=1e-3), nn.BCEWithLogitsLoss(),
                               (x, y), batch_size=32)
'''


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    """A real run of the wrong weight decay, saved as a Monitor record."""
    path = tmp_path_factory.mktemp("verify") / "run.jsonl"
    R.wd_adam_l2_digits(0).save(path)
    return path


def cli(*args):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "160"})


def test_diagnose_verify_prints_the_table_and_the_json_key(run_file, tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT.replace("lr=1e-3)", "lr=1e-3, weight_decay=0.5)"))
    result = cli("diagnose", str(run_file), "--verify", str(script), "--verify-steps", "100", "--verify-budget", "30s")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("weight_decay_too_high") < out.index("verify: 100 steps per trial")
    assert "unchanged" in out and "weight_decay 0.5 →" in out and "verdict: reduce_weight_decay wins" in out
    assert "not verifiable by a setting" in out or "not applicable" in out
    result = cli("diagnose", str(run_file), "--json", "--verify", str(script), "--verify-steps", "100")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verify"]["best"] == "reduce_weight_decay" and data["verify"]["steps"] == 100
    assert data["verify"]["trials"][0]["action"] == "baseline" and data["diagnoses"]


@pytest.mark.parametrize("script, args, message", [
    (None, ("--verify", "missing.py"), "file 'missing.py' not found"),
    ("def build(seed):\n    return None\n", (), "defines no setup function (it defines build)"),
    ("def setup(seed):\n    return 42\n", (), "setup(0) returned int; expected archwise.TrainSetup"),
    ("raise ImportError('no such thing')\n", (), "cannot load"),
    (SCRIPT, ("--verify-steps", "0"), "--verify-steps must be a positive whole number"),
    (SCRIPT, ("--verify-fix", "lr_up"), "unknown fix 'lr_up'"),
    (SCRIPT, ("--verify-budget", "soon"), "--verify-budget must be a positive time"),
    (None, ("--verify-steps", "10"), "--verify-steps needs --verify script.py"),
])
def test_diagnose_verify_bad_input_is_one_line_and_exit_2(run_file, tmp_path, monkeypatch, script, args, message):
    monkeypatch.chdir(tmp_path)
    given = ()
    if script is not None:
        (tmp_path / "train.py").write_text(script)
        given = ("--verify", "train.py")
    result = cli("diagnose", str(run_file), "--json", *given, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
