"""examples/train_recommended.py: the ladder's recommended model trained in a user's loop under
Monitor. The ladder folders are written by hand (model.json and ladder.json as ``archwise ladder
--out`` writes them) so that no ladder runs here."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from archwise.cli import app
from archwise.design import create_arch
from archwise.ladder.data import load_data
from archwise.ladder.prepare import prepare
from archwise.train import load_record

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "train_recommended.py"
RESNET = {"num_outputs": 10, "in_chans": 1, "img_size": 8, "depth": 6, "width": 4, "block": "basic", "stages": 2}


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("archwise_examples_train_recommended", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    threads = torch.get_num_threads()
    yield module
    torch.set_num_threads(threads)  # the example sets one thread


def ladder_dir(folder: Path, data: str, arch: str, hyperparameters: dict, flat: bool, modality: str | None = None):
    prepared = prepare(load_data(data))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.json").write_text(json.dumps({
        "rung": arch, "label": f"{arch} by hand", "arch": arch, "hyperparameters": hyperparameters,
        "weights": "model.safetensors", "seed": 0, "lr": 0.01,
        "input": "each sample flattened to a vector" if flat else "as loaded",
        "build": f"archwise.design.create_arch({arch!r}, **hyperparameters)", "input_scaling": prepared.scaling,
        "classes": None,
    }))
    (folder / "ladder.json").write_text(json.dumps({
        "schema": "archwise.ladder/1", "data": data, "modality": modality or prepared.modality.value,
        "task": prepared.task.value, "split_hash": prepared.split_hash, "recommended": arch,
    }))
    return folder, prepared


def weighted_layers(model: torch.nn.Module) -> list[str]:
    return [n for n, m in model.named_modules() if any(True for _ in m.parameters(recurse=False))]


@pytest.mark.parametrize("data, arch, hyper, flat", [
    ("digits", "resnet", RESNET, False),  # images, N×1×8×8 as loaded
    ("wine", "mlp", {"in_features": 13, "hidden": 16, "depth": 1, "num_outputs": 3}, True),  # a table
])
def test_trains_the_recommended_model_under_monitor(example, tmp_path, capsys, data, arch, hyper, flat):
    folder, prepared = ladder_dir(tmp_path / "ladder", data, arch, hyper, flat)
    out = tmp_path / "run.jsonl"
    example.main([str(folder), str(out), "--epochs", "2"])
    printed = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in printed[:2]] == ["epoch 1", "epoch 2"] and len(printed) == 3
    assert printed[-1].startswith(f"{arch} after 2 epochs: test accuracy ") and str(out) in printed[-1]

    record = load_record(out)
    assert len(record.epochs) == 2
    for epoch in record.epochs:
        assert all(math.isfinite(v) for v in (epoch.train_loss, epoch.val_loss, epoch.train_metric, epoch.val_metric))
    steps_per_epoch = math.ceil(len(prepared.train) / 64)
    assert len(record.losses()) == 2 * steps_per_epoch
    assert all(math.isfinite(loss) for _, loss in record.losses())
    layers = weighted_layers(create_arch(arch, **hyper))
    assert [layer.name for layer in record.layers] == layers  # every weighted layer is watched
    sampled = record.sampled()
    assert len(sampled) == math.ceil(2 * steps_per_epoch / 10)
    for step in sampled:
        assert len(step.grad_norm) == len(layers) and all(g is not None and g > 0 for g in step.grad_norm)

    result = CliRunner().invoke(app, ["diagnose", str(out)], env={"COLUMNS": "160"})
    assert result.exit_code in (0, 1), result.output


@pytest.mark.parametrize("arch, hyper, modality, what", [
    ("lightgbm", {"in_features": 13, "num_outputs": 3, "task": "classification"}, None, "lightgbm by hand"),
    ("gcn", {}, "graph", "gcn by hand"),
])
def test_graph_and_lightgbm_recommendations_exit_with_one_line(example, tmp_path, arch, hyper, modality, what):
    folder, _ = ladder_dir(tmp_path / "ladder", "wine", arch, hyper, True, modality)
    with pytest.raises(SystemExit) as exit_info:
        example.main([str(folder), str(tmp_path / "run.jsonl")])
    message = str(exit_info.value.code)
    assert "\n" not in message and what in message and "covers image and tabular models" in message
    assert not (tmp_path / "run.jsonl").exists()


def test_a_folder_without_model_json_exits_with_one_line(example, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        example.main([str(tmp_path), str(tmp_path / "run.jsonl")])
    assert str(exit_info.value.code).startswith("no model.json in ")

