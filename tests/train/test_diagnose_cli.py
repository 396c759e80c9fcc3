"""``archwise diagnose`` from the command line: the terminal report of real runs (golden files),
``--json``, ``--plot``, ``--threshold``, ``--fail-on``, and Lightning ``CSVLogger`` files, read
from a hand-written file in Lightning's exact layout and from a real Lightning run.

The golden runs are trained here (tests/train/scenarios.py, seeded). The report prints no
measured time unless a diagnosis's evidence holds one, and only ``slow_step`` reads times: the
golden tests silence it with ``--threshold slow_data=1 --threshold slow_backward=1e9`` so that a
loaded machine cannot change the output (it does not fire on these runs in the first place).
"""

from __future__ import annotations

import json
import math
import shutil

import pytest
from typer.testing import CliRunner

from archwise.cli import app
from archwise.errors import ArchwiseError
from archwise.train import DETECTORS, diagnose, load_record
from archwise.train.lightning_csv import read_metrics_csv

from . import scenarios

NO_TIMING = ("--threshold", "slow_data=1", "--threshold", "slow_backward=1e9")
PNG = b"\x89PNG\r\n\x1a\n"


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "160"})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The overfit and healthy MLP runs, trained once and saved as run files."""
    folder = tmp_path_factory.mktemp("runs")
    scenarios.overfit(0).save(folder / "overfit.jsonl")
    scenarios.healthy_mlp(0).save(folder / "healthy_mlp.jsonl")
    return folder


@pytest.fixture
def here(runs, tmp_path, monkeypatch):
    """The run files in the working directory, so the report's header names them by a fixed path."""
    for path in runs.iterdir():
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---- the terminal report ------------------------------------------------------------------------

def test_overfit_run_report_golden(here, golden):
    result = run("diagnose", "overfit.jsonl", *NO_TIMING)
    assert result.exit_code == 0, result.output  # no --fail-on: a report, not a gate
    assert result.stdout.splitlines()[0].startswith("archwise diagnose: overfit.jsonl · Sequential, 301,066 parameters")
    assert "warning overfitting" in result.stdout and "do: 1. reduce capacity" in result.stdout
    golden("diagnose_overfit.txt", result.stdout)


def test_healthy_run_report_golden(here, golden):
    result = run("diagnose", "healthy_mlp.jsonl", *NO_TIMING)
    assert result.exit_code == 0, result.output
    assert f"No problems found by the {len(DETECTORS)} detectors." in result.stdout
    golden("diagnose_healthy_mlp.txt", result.stdout)


def test_the_report_fits_100_columns_and_shows_no_measured_time(here):
    for name in ("overfit.jsonl", "healthy_mlp.jsonl"):
        text = run("diagnose", name).stdout
        assert max(len(line) for line in text.splitlines()) <= 100
        assert " ms" not in text and "time" not in text


def test_the_cli_prints_what_the_python_api_finds(here):
    from archwise.report.diagnose import diagnoses_to_text

    record = load_record("overfit.jsonl")
    expected = diagnoses_to_text(record, diagnose(record, slow_data=1, slow_backward=1e9))
    assert run("diagnose", "overfit.jsonl", *NO_TIMING).stdout == expected


# ---- --json -------------------------------------------------------------------------------------

def test_json_schema(here):
    result = run("diagnose", "overfit.jsonl", "--json", "--threshold", "dead_fraction=0.7")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"schema", "run", "diagnoses", "thresholds"}
    assert data["schema"] == "archwise.diagnose/1" and data["thresholds"] == {"dead_fraction": 0.7}
    run_ = data["run"]
    assert {"source", "format", "model", "params", "steps", "sampled_steps", "every", "epochs", "layers",
            "detectors"} <= set(run_)
    assert run_["source"] == "overfit.jsonl" and run_["model"] == "Sequential" and run_["params"] == 301_066
    assert run_["epochs"] == 60 and run_["every"] == 10 and run_["steps"] == 240 and run_["sampled_steps"] == 24
    assert run_["detectors"] == len(DETECTORS) and run_["format"] == "archwise.monitor"
    problems = [d["problem"] for d in data["diagnoses"]]
    assert "overfitting" in problems
    for d in data["diagnoses"]:
        assert set(d) == {"problem", "severity", "summary", "evidence", "prescriptions"}
        assert d["severity"] in ("error", "warning", "info") and d["summary"]
        assert d["prescriptions"] and all(set(p) == {"action", "text"} for p in d["prescriptions"])
    over = data["diagnoses"][problems.index("overfitting")]
    assert over["prescriptions"][0]["action"] == "reduce_capacity"
    assert over["evidence"]["best_epoch"] < 59


def test_json_stays_valid_with_non_finite_values_and_fail_on_sets_the_exit_code(here):
    record = load_record("healthy_mlp.jsonl")
    for s in record.steps[150:]:
        s.loss = math.nan
    record.save(here / "nan.jsonl")
    result = run("diagnose", "nan.jsonl", "--json", "--fail-on", "error")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"bare {name}: not JSON"))
    first = data["diagnoses"][0]
    assert first["problem"] == "non_finite" and first["severity"] == "error"
    assert first["evidence"]["first_nonfinite_step"] == 150
    text = run("diagnose", "nan.jsonl").stdout
    assert "error   non_finite" in text.splitlines()


def test_fail_on(here):
    assert run("diagnose", "overfit.jsonl").exit_code == 0
    assert run("diagnose", "overfit.jsonl", "--fail-on", "warning").exit_code == 1
    assert run("diagnose", "overfit.jsonl", "--fail-on", "error").exit_code == 0
    assert run("diagnose", "healthy_mlp.jsonl", "--fail-on", "warning", *NO_TIMING).exit_code == 0


# ---- --threshold --------------------------------------------------------------------------------

def test_threshold_changes_the_outcome(here):
    def problems(*args):
        result = run("diagnose", "overfit.jsonl", "--json", *args)
        assert result.exit_code == 0, result.output
        return [d["problem"] for d in json.loads(result.stdout)["diagnoses"]]

    assert "overfitting" in problems()
    # the run shows both signs: the val loss rising from its best, and a train/val accuracy gap
    assert "overfitting" in problems("--threshold", "overfit_val_rise=100")
    assert "overfitting" not in problems("--threshold", "overfit_val_rise=100", "--threshold", "overfit_gap=1")
    assert run("diagnose", "overfit.jsonl", "--fail-on", "warning", "--threshold", "overfit_val_rise=100",
               "--threshold", "overfit_gap=1").exit_code == 0


@pytest.mark.parametrize("args, message", [
    (("--threshold", "overfit_val_rice=0.3"), "unknown diagnose threshold 'overfit_val_rice'; did you mean "
                                              "'overfit_val_rise'"),
    (("--threshold", "overfit_val_rise=high"), "threshold overfit_val_rise expects a number; found 'high'"),
    (("--threshold", "overfit_val_rise"), "--threshold expects NAME=VALUE"),
    (("--threshold", "overfit_val_rise=-1"), "must be ≥ 0"),
    (("--threshold", "overfit_val_rise=nan"), "expects a finite number"),
    (("--threshold", "min_epochs=2.5"), "threshold min_epochs expects a number"),
    (("--fail-on", "warn"), "unknown --fail-on 'warn'; expected one of error, warning, info"),
    (("--plot", "out.jpg"), "expected a .png, .svg or .pdf path"),
])
def test_usage_errors_are_one_line_and_exit_2(here, args, message):
    result = run("diagnose", "overfit.jsonl", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")


# ---- --plot -------------------------------------------------------------------------------------

def test_plot_writes_a_png_for_a_record_with_layers(here):
    result = run("diagnose", "overfit.jsonl", "--plot", "plots/overfit.png")
    assert result.exit_code == 0, result.output
    png = here / "plots" / "overfit.png"
    data = png.read_bytes()
    assert data.startswith(PNG) and len(data) > 20_000
    assert result.stdout.rstrip().endswith("wrote plots/overfit.png")


def test_plot_writes_svg_when_asked_and_keeps_json_clean(here):
    result = run("diagnose", "healthy_mlp.jsonl", "--json", "--plot", "healthy.svg")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # nothing but the JSON on stdout
    assert (here / "healthy.svg").read_text().lstrip().startswith("<?xml")


def test_plot_run_marks_problems_without_failing_on_odd_records(here, tmp_path):
    from archwise.train.plot import plot_run

    record = load_record("healthy_mlp.jsonl")
    for s in record.steps[100:]:
        s.loss = math.inf if s.step % 2 else math.nan
    sampled = record.sampled()
    sampled[-1].grad_norm = [math.nan, 0.0, None]
    sampled[-2].grad_norm = [0.0, 0.0, 0.0]
    found = diagnose(record)
    assert found[0].problem == "non_finite"
    assert plot_run(record, found, tmp_path / "odd.png").read_bytes().startswith(PNG)
    empty = load_record("healthy_mlp.jsonl")
    empty.steps, empty.epochs = [], []
    with pytest.raises(ArchwiseError, match="nothing|no step losses"):
        plot_run(empty, [], tmp_path / "empty.png")


# ---- Lightning CSVLogger metrics.csv ------------------------------------------------------------

HEADER = "epoch,lr-Adam,step,train_acc,train_loss_epoch,train_loss_step,val_acc,val_loss"


def lightning_csv(val_losses: list[float], steps_per_epoch: int = 4) -> str:
    """A metrics.csv laid out exactly as Lightning 2.x's CSVLogger writes one (LearningRateMonitor rows
    without an epoch, one row per training step, a validation row and a train-epoch row per epoch)
    for ``self.log("train_loss", loss, on_step=True, on_epoch=True)``, ``train_acc`` on_epoch only,
    ``val_loss`` and ``val_acc``."""
    rows, step = [HEADER], 0
    for epoch, val in enumerate(val_losses):
        rows.append(f",0.001,{step},,,,,")
        epoch_losses = []
        for _ in range(steps_per_epoch):
            loss = 2.3 * math.exp(-0.08 * step) * (1 + 0.05 * math.sin(step))
            epoch_losses.append(loss)
            rows.append(f"{epoch},,{step},,,{loss!r},,")
            step += 1
        train_acc = min(1.0, 0.3 + 0.08 * epoch)
        rows.append(f"{epoch},,{step - 1},,,,{train_acc - 0.05 * val:.4f},{val!r}")
        rows.append(f"{epoch},,{step - 1},{train_acc!r},{sum(epoch_losses) / len(epoch_losses)!r},,,")
    return "\n".join(rows) + "\n"


RISING = [1.9, 1.5, 1.2, 1.05, 1.0, 1.08, 1.2, 1.35, 1.5, 1.7]
FALLING = [1.9, 1.5, 1.2, 1.0, 0.9, 0.8, 0.74, 0.7, 0.67, 0.65]


def test_lightning_csv_is_read_column_by_column():
    rec = read_metrics_csv("metrics.csv", lightning_csv(RISING))
    assert rec.meta["source_format"] == "lightning_csv" and rec.meta["every"] == 1 and "schema" not in rec.meta
    assert rec.meta["columns"] == {"step_loss": "train_loss_step", "train_loss": "train_loss_epoch",
                                   "val_loss": "val_loss", "train_metric": "train_acc", "val_metric": "val_acc",
                                   "lr": "lr-Adam"}
    assert rec.layers == [] and rec.metric_higher_is_better
    assert [s.step for s in rec.steps] == list(range(40)) and all(s.lr == 0.001 for s in rec.steps)
    assert rec.steps[0].loss == pytest.approx(2.3)
    assert [e.epoch for e in rec.epochs] == list(range(10)) and [e.step for e in rec.epochs][:2] == [3, 7]
    assert [e.val_loss for e in rec.epochs] == RISING
    first = rec.epochs[0]
    assert first.train_loss is not None and first.train_metric == 0.3 and first.val_metric == pytest.approx(0.205)
    assert first.extra == {}


def test_a_bare_train_loss_is_a_step_loss_on_training_rows_and_an_epoch_loss_on_epoch_rows():
    text = ("epoch,step,loss,val_loss,val_f1\n"
            "0,0,2.0,,\n0,1,1.8,,\n0,1,1.9,1.7,0.4\n"
            "1,2,1.5,,\n1,3,1.4,,\n1,3,,1.6,0.5\n")
    rec = read_metrics_csv("m.csv", text)
    assert [(s.step, s.loss) for s in rec.steps] == [(0, 2.0), (1, 1.8), (2, 1.5), (3, 1.4)]
    assert [(e.epoch, e.step, e.train_loss, e.val_loss, e.val_metric) for e in rec.epochs] == [
        (0, 1, 1.9, 1.7, 0.4), (1, 3, None, 1.6, 0.5)]
    assert rec.meta["columns"]["val_metric"] == "val_f1"


def test_other_epoch_columns_go_to_extra_and_nan_cells_stay_nan():
    text = ("epoch,step,test_acc,train_loss_epoch,train_loss_step,val_acc,val_loss,val_mae\n"
            "0,0,,,nan,,,\n0,0,,,,0.6,1.0,0.3\n0,0,,2.0,,,,\n0,0,0.55,,,,,\n")
    rec = read_metrics_csv("m.csv", text)
    assert math.isnan(rec.steps[0].loss)
    assert rec.meta["columns"]["val_metric"] == "val_acc"  # not test_acc, though the header sorts it first
    assert rec.epochs[0].val_metric == 0.6 and rec.epochs[0].train_loss == 2.0
    assert rec.epochs[0].extra == {"val_mae": 0.3, "test_acc": 0.55}


def test_lightning_csv_with_a_rising_val_loss_is_overfitting(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(lightning_csv(RISING))
    result = run("diagnose", str(path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["run"]["format"] == "lightning_csv" and data["run"]["layers"] == 0
    over = next(d for d in data["diagnoses"] if d["problem"] == "overfitting")
    assert over["evidence"]["best_epoch"] == 4 and over["evidence"]["last_val_loss"] == 1.7
    text = run("diagnose", str(path)).stdout
    assert "Lightning CSVLogger metrics · 40 steps · 10 epochs" in text
    assert "note: read train_loss_step as the loss per step" in text and "warning overfitting" in text

    path.write_text(lightning_csv(FALLING))
    healthy = json.loads(run("diagnose", str(path), "--json").stdout)
    assert "overfitting" not in [d["problem"] for d in healthy["diagnoses"]]


def test_plot_of_a_lightning_csv_has_no_gradient_panel_and_is_written(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(lightning_csv(RISING))
    result = run("diagnose", str(path), "--plot", str(tmp_path / "pl.png"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pl.png").read_bytes().startswith(PNG)


@pytest.mark.filterwarnings("ignore")
def test_a_real_lightning_run(tmp_path):
    """A tiny model trained by Lightning's Trainer with its CSVLogger: the file it writes is read as designed."""
    pl = pytest.importorskip("lightning.pytorch")
    import torch
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger
    from torch import nn

    torch.manual_seed(0)
    x, y = torch.randn(48, 12), (torch.rand(48) < 0.5).long()  # random labels: memorised, never learned
    xv, yv = torch.randn(128, 12), (torch.rand(128) < 0.5).long()

    class Tiny(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(12, 128), nn.ReLU(), nn.Linear(128, 2))

        def training_step(self, batch, _):
            out = self.net(batch[0])
            loss = nn.functional.cross_entropy(out, batch[1])
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            self.log("train_acc", (out.argmax(1) == batch[1]).float().mean(), on_step=False, on_epoch=True)
            return loss

        def validation_step(self, batch, _):
            out = self.net(batch[0])
            self.log("val_loss", nn.functional.cross_entropy(out, batch[1]))
            self.log("val_acc", (out.argmax(1) == batch[1]).float().mean())

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=1e-2)

    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16, shuffle=True)
    val = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xv, yv), batch_size=128)
    trainer = pl.Trainer(max_epochs=10, logger=CSVLogger(tmp_path, name="run"), log_every_n_steps=1,
                         callbacks=[LearningRateMonitor()], enable_progress_bar=False, enable_model_summary=False,
                         enable_checkpointing=False, accelerator="cpu")
    trainer.fit(Tiny(), loader, val)
    path = next(tmp_path.rglob("metrics.csv"))
    rec = load_record(path)
    assert rec.meta["columns"] == {"step_loss": "train_loss_step", "train_loss": "train_loss_epoch",
                                   "val_loss": "val_loss", "train_metric": "train_acc", "val_metric": "val_acc",
                                   "lr": "lr-Adam"}
    assert len(rec.steps) == 30 and len(rec.epochs) == 10
    assert all(e.train_loss is not None and e.val_loss is not None and e.val_metric is not None for e in rec.epochs)
    assert rec.epochs[-1].step == rec.steps[-1].step and rec.steps[0].lr == 0.01
    assert "overfitting" in [d.problem for d in diagnose(rec)]
    result = run("diagnose", str(path), "--fail-on", "warning")
    assert result.exit_code == 1 and "warning overfitting" in result.stdout


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("0,0,1.5\n1,1,1.2\n", "line 1 is a row of numbers, not a header"),
    ("step,train_loss\n0,1.5\n", "has no 'epoch' column"),
    ("epoch,loss\n0,1.5\n", "has no 'step' column"),
    ("time,value\n0,1\n", "has no 'epoch' or 'step' column"),
    ("epoch,step,val_acc\n0,0,0.5\n", "has no loss column"),
    ("epoch,step,train_loss\n0,0,1.5\n0,1,1.4\n0,2,tensor(1.3)\n", "line 4, column 'train_loss': 'tensor(1.3)' is "
                                                                  "not a number"),
    ("epoch,step,train_loss\n0,0,1.5\n0,1.5,1.4\n", "line 3, column 'step': 1.5 is not a whole number"),
    ("epoch,step,train_loss\n0,0,1.5,7\n", "line 2 has 4 cells; expected at most 3"),
])
def test_a_bad_metrics_csv_is_one_line_naming_the_line_and_column(tmp_path, text, message):
    path = tmp_path / "metrics.csv"
    path.write_text(text)
    with pytest.raises(ArchwiseError, match=None) as err:
        load_record(path)
    assert message in str(err.value) and "\n" not in str(err.value)
    result = run("diagnose", str(path))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
