"""``.json`` targets: a ladder's model.json or ``archwise design --json`` output builds its zoo model,
exactly as the ``zoo:`` target does; every way the file can be wrong is one line and exit 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from archwise.cli import app
from archwise.design import create_arch, design
from archwise.errors import ArchwiseError
from archwise.loading import load_model
from archwise.problem import ProblemSpec

RESNET = {"num_outputs": 10, "in_chans": 1, "img_size": 8, "depth": 6, "width": 8, "block": "basic", "stages": 2}
MLP = {"in_features": 64, "hidden": 16, "depth": 1, "num_outputs": 10}


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "160"})


def params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def model_json(folder, arch="resnet", hyperparameters=None, name="model.json"):
    """A model.json as ``archwise ladder --out`` writes it (run.py ``_write_out``)."""
    path = folder / name
    path.write_text(json.dumps({
        "rung": arch, "label": f"{arch} by hand", "arch": arch,
        "hyperparameters": RESNET if hyperparameters is None else hyperparameters, "weights": "model.safetensors",
        "seed": 0, "lr": 0.01, "input": "as loaded", "build": f"archwise.design.create_arch({arch!r}, **hyperparameters)",
        "input_scaling": {"x": "(x - mean) / std", "over": "all pixels", "mean": 0.3, "std": 0.4}, "classes": None,
    }))
    return path


@pytest.mark.parametrize("arch, hyper", [("resnet", RESNET), ("mlp", MLP)])
def test_ladder_model_json_builds_the_zoo_model(tmp_path, arch, hyper):
    path = model_json(tmp_path, arch, hyper)
    loaded = load_model(str(path))
    zoo = load_model(f"zoo:{arch}", dict(hyper))
    assert params(loaded.model) == params(create_arch(arch, **hyper)) == params(zoo.model)
    assert type(loaded.model) is type(zoo.model)
    assert next(loaded.model.parameters()).device.type == "meta"
    assert loaded.inputs == zoo.inputs  # the zoo inputs at batch 1
    assert loaded.name == f"{arch} ({path})"
    real = loaded.rebuild_on_cpu()
    assert next(real.parameters()).device.type == "cpu" and params(real) == params(loaded.model)


def test_design_json_builds_its_recommendation(tmp_path):
    rec = design(ProblemSpec("tabular", input=20, outputs=3, samples=2000))
    path = tmp_path / "design.json"
    path.write_text(json.dumps(rec.to_dict()))
    loaded = load_model(str(path))
    assert loaded.name == f"{rec.arch} ({path})"
    assert params(loaded.model) == params(create_arch(rec.arch, **rec.hyperparameters)) == rec.params
    assert loaded.inputs == [(1, 20)]


def test_kwargs_override_single_hyperparameters(tmp_path):
    path = model_json(tmp_path, "mlp", MLP)
    loaded = load_model(str(path), {"hidden": 32})
    assert params(loaded.model) == params(create_arch("mlp", **{**MLP, "hidden": 32}))
    with pytest.raises(ArchwiseError, match="--config applies to hf: targets"):
        load_model(str(path), config={"hidden": 32})


def _bad_files(tmp_path):
    (tmp_path / "broken.json").write_text('{"arch": "resnet", ')
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "ladder.json").write_text(json.dumps({"schema": "archwise.ladder/1", "data": "digits"}))
    (tmp_path / "profile.json").write_text(json.dumps({"schema": "archwise.profile/1", "model": "ResNet"}))
    (tmp_path / "plain.json").write_text(json.dumps({"arch": "resnet"}))
    (tmp_path / "folder.json").mkdir()
    model_json(tmp_path, "lightgbm", {"in_features": 4, "num_outputs": 2, "task": "classification"}, "lgb.json")
    model_json(tmp_path, "resnett", RESNET, "typo.json")
    model_json(tmp_path, "resnet", [1, 2], "hyperlist.json")


BAD = [
    (["missing.json"], "model file 'missing.json' is not found"),
    (["folder.json"], "model file 'folder.json' is a folder"),
    (["broken.json"], "'broken.json' is not valid JSON (Expecting"),
    (["list.json"], "'list.json' holds a JSON list; expected a JSON object with \"arch\" and \"hyperparameters\""),
    (["ladder.json"], "'ladder.json' is an archwise.ladder/1 file (a result, which archwise report reads), not a "
                      "model description: it has no \"arch\" and \"hyperparameters\""),
    (["profile.json"], "'profile.json' is an archwise.profile/1 file"),
    (["plain.json"], "'plain.json' is a JSON object: it has no \"hyperparameters\""),
    (["lgb.json"], "'lgb.json' describes lightgbm, which is a scikit-learn-style estimator"),
    (["typo.json"], "'typo.json': unknown architecture 'resnett'"),
    (["hyperlist.json"], "'hyperlist.json' has \"arch\" 'resnet' and \"hyperparameters\" of type list"),
    (["model.json", "--kwargs", '{"deep": 8}'], "'model.json': resnet takes no argument 'deep'"),
    (["model.json", "--config", '{"depth": 8}'], "--config applies to hf: targets; for a .json target use --kwargs"),
]


@pytest.mark.parametrize("command", ["profile", "check"])
@pytest.mark.parametrize("args, message", BAD, ids=[a[0] + ("+opt" if len(a) > 1 else "") for a, _ in BAD])
def test_bad_json_target_is_one_clear_line_and_exit_2(tmp_path, monkeypatch, command, args, message):
    _bad_files(tmp_path)
    model_json(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run(command, *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0], lines[0]


def test_unknown_target_form_names_the_json_form():
    result = run("profile", "nothing-here")
    assert result.exit_code == 2 and "path/to/model.json" in result.stderr


def test_profile_model_json_end_to_end(tmp_path):
    path = model_json(tmp_path)
    expected = params(create_arch("resnet", **RESNET))
    result = run("profile", str(path), "--input", "64x1x8x8", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "archwise.profile/1" and data["params"]["total"] == expected
    assert data["inputs"] == ["64x1x8x8"]
    text = run("profile", str(path))  # no --input: the zoo inputs at batch 1
    assert text.exit_code == 0, text.output
    assert "input 1x1x8x8" in text.stdout and f"{expected:,}" in text.stdout


def test_check_model_json_end_to_end(tmp_path):
    result = run("check", str(model_json(tmp_path)))
    assert result.exit_code in (0, 1), result.output
    assert "1x1x8x8" in result.stdout


def test_a_ladder_model_json_gives_the_input_it_records(tmp_path):
    """Issue 24: model.json records one sample as the model takes it, so a flattened rung's file
    needs no --input (and the demo reads the same field instead of a hard-coded 64x1x8x8)."""
    path = model_json(tmp_path, "linear", {"in_features": 64, "num_outputs": 10})
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "input_shape": [64], "batch_size": 64, "graph": False}))
    assert load_model(str(path)).inputs == [(1, 64)]
    text = run("profile", str(path))
    assert text.exit_code == 0, text.output
    assert "input 1x64" in text.stdout and "650" in text.stdout  # 64 × 10 weights + 10 biases
    for bad in ([], [0, 8], "64", [1.5]):
        path.write_text(json.dumps({**data, "input_shape": bad}))
        result = run("profile", str(path))
        assert result.exit_code == 2 and "expected a list of positive whole numbers" in result.stderr, bad
        assert len(result.stderr.strip().splitlines()) == 1
