"""The JSON-lines record (``archwise.train.record``): a real monitored run survives save and load
unchanged, non-finite values included, and every kind of damaged file is refused with one line
that names the line, from Python and from ``archwise diagnose`` (exit 2, no traceback)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import pytest
from typer.testing import CliRunner

from archwise.cli import app
from archwise.errors import ArchwiseError
from archwise.train import load_record
from archwise.train.record import SCHEMA, TrainingRecord

from . import scenarios


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "160"})


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A real run (dead ReLUs: per-layer lists with values and with None), saved once, with a NaN loss,
    an inf loss, an inf gradient norm and a NaN epoch value written in by hand."""
    mon = scenarios.dead_relu(0)
    record = mon.record
    record.steps[3].loss = math.nan
    record.steps[4].loss = math.inf
    sampled = record.sampled()
    sampled[1].grad_norm[0] = math.inf
    sampled[2].weight_norm[1] = -math.inf
    record.epochs[1].val_metric = math.nan
    record.epochs[2].extra["lr_end"] = 0.5
    path = tmp_path_factory.mktemp("record") / "run.jsonl"
    mon.save(path)
    return record, path


def _same(a, b) -> bool:
    """Equal, with NaN equal to NaN (dataclass equality says NaN != NaN)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def test_a_real_run_round_trips_field_for_field(saved):
    record, path = saved
    back = load_record(path)
    assert back.source == str(path)
    assert _same(back.meta, record.meta)
    assert back.layers == record.layers and back.activations == record.activations
    assert len(back.steps) == len(record.steps) and len(back.epochs) == len(record.epochs)
    for a, b in zip(record.steps, back.steps):
        assert _same(asdict(a), asdict(b)), f"step {a.step} differs after the round trip"
    for a, b in zip(record.epochs, back.epochs):
        assert _same(asdict(a), asdict(b)), f"epoch {a.epoch} differs after the round trip"
    assert back.to_lines() == record.to_lines()
    # what the run holds, so the test is not vacuous
    assert any(s.dead for s in back.steps) and any(s.update_ratio for s in back.steps) and back.steps[0].time


def test_non_finite_values_survive_as_strings_and_come_back_as_floats(saved):
    record, path = saved
    lines = path.read_text().splitlines()
    for line in lines:
        json.loads(line, parse_constant=lambda name: pytest.fail(f"bare {name} in the file: not valid JSON"))
    back = load_record(path)
    assert math.isnan(back.steps[3].loss) and back.steps[4].loss == math.inf
    sampled = back.sampled()
    assert sampled[1].grad_norm[0] == math.inf and sampled[2].weight_norm[1] == -math.inf
    assert math.isnan(back.epochs[1].val_metric) and back.epochs[2].extra["lr_end"] == 0.5
    assert '"loss":"nan"' in lines[4] and '"loss":"inf"' in lines[5]


# ---- damaged files ------------------------------------------------------------------------------

def _damage(path, tmp_path, how: str):
    """A copy of the saved run, damaged one way; returns (path, the message's expected fragment)."""
    lines = path.read_text().splitlines()
    out = tmp_path / f"{how}.jsonl"
    if how == "missing":
        return tmp_path / "nothing-here.jsonl", "no file at"
    if how == "empty":
        out.write_text("\n  \n")
        return out, "is empty"
    if how == "truncated":  # the run was killed while writing its last line
        last = lines[-1]
        out.write_text("\n".join(lines[:-1]) + "\n" + last[:len(last) // 2])
        return out, f"line {len(lines)} is not valid JSON"
    if how == "malformed":
        lines[6] = lines[6][:40] + "}{" + lines[6][40:]
        out.write_text("\n".join(lines) + "\n")
        return out, "line 7 is not valid JSON"
    if how == "step_first":
        lines[0], lines[1] = lines[1], lines[0]
        out.write_text("\n".join(lines) + "\n")
        return out, "line 1 is a 'step' line before the 'meta' line"
    if how == "schema":
        out.write_text("\n".join([lines[0].replace(SCHEMA, "archwise.monitor/9")] + lines[1:]) + "\n")
        return out, "has schema 'archwise.monitor/9'; expected 'archwise.monitor/1'"
    if how == "short_list":
        number = next(i for i, line in enumerate(lines) if '"grad_norm"' in line and i > 10)
        row = json.loads(lines[number])
        row["grad_norm"] = row["grad_norm"][:-1]
        lines[number] = json.dumps(row)
        out.write_text("\n".join(lines) + "\n")
        return out, f"line {number + 1}: 'grad_norm' has 2 values; expected 3"
    if how == "text_loss":
        number = next(i for i, line in enumerate(lines) if '"type":"step"' in line and '"loss"' in line)
        row = json.loads(lines[number])
        row["loss"] = "abc"
        lines[number] = json.dumps(row)
        out.write_text("\n".join(lines) + "\n")
        return out, f"line {number + 1}: 'loss' holds 'abc'; expected a number or null"
    raise AssertionError(how)


DAMAGE = ["missing", "empty", "truncated", "malformed", "step_first", "schema", "short_list", "text_loss"]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_file_is_refused_with_one_line_naming_the_line(saved, tmp_path, how):
    path, expected = _damage(saved[1], tmp_path, how)
    with pytest.raises(ArchwiseError) as err:
        load_record(path)
    message = str(err.value)
    assert expected in message
    assert "\n" not in message
    assert str(path) in message  # which file, so the user can open it


@pytest.mark.parametrize("how", DAMAGE)
def test_the_cli_says_the_same_in_one_line_and_exits_2(saved, tmp_path, how):
    path, expected = _damage(saved[1], tmp_path, how)
    result = run("diagnose", str(path))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]
    assert "Traceback" not in result.output and result.stdout == ""


def test_records_built_by_hand_round_trip_through_lines():
    record = TrainingRecord(meta={"every": 2, "model": "Toy"})
    back = TrainingRecord.from_lines(record.to_lines())
    assert back.meta == {"every": 2, "model": "Toy"} and back.steps == [] and back.epochs == []
