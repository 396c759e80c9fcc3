"""The ``archwise profile`` command: output (golden files), JSON keys, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from archwise.cli import app
from tests.conftest import ROOT

MODELS = str(ROOT / "examples" / "models.py")


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "160"})


def test_profile_table_golden(golden):
    result = run("profile", f"{MODELS}:ResNet", "--input", "2x3x32x32", "--per-layer")
    assert result.exit_code == 0, result.output
    golden("profile_resnet_per_layer.txt", result.stdout)


def test_profile_summary_golden(golden):
    result = run("profile", f"{MODELS}:PlainCNN", "--input", "2x3x32x32", "--kwargs", '{"depth": 12}')
    assert result.exit_code == 0, result.output
    golden("profile_plaincnn.txt", result.stdout)


def test_profile_json_golden_and_required_keys(golden):
    result = run("profile", f"{MODELS}:DenseNet", "--input", "1x3x16x16", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("total", "trainable", "bytes"):
        assert isinstance(data["params"][key], int)
    assert data["flops"]["forward"] == 2 * data["macs"]["forward"]
    assert isinstance(data["flops"]["backward"], int)
    s = data["structure"]
    assert {"depth", "widths", "skip_connections", "families"} <= s.keys()
    assert {"kind", "from", "to", "spans"} <= s["skip_connections"][0].keys()
    assert {"path", "type", "output_shape", "params", "flops"} <= data["layers"][0].keys()
    assert data["method"] == "meta"
    assert sum(r["params"] for r in data["layers"]) == data["params"]["total"]
    assert sum(r["flops"] for r in data["layers"]) == data["flops"]["forward"]
    golden("profile_densenet.json", result.stdout)


def test_hf_target_with_config():
    result = run("profile", "hf:BertModel", "--input", "int64:1x16", "--config", '{"num_hidden_layers": 2}', "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["model"] == "BertModel"
    assert data["structure"]["skip_connections"] and data["structure"]["depth"] == 2 * 4 + 1


def test_module_target_and_kwargs():
    result = run("profile", "torch.nn:Linear", "--input", "4x8", "--kwargs", '{"in_features": 8, "out_features": 3}', "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["params"]["total"] == 27


def test_fallback_is_reported():
    result = run("profile", f"{MODELS}:GCN", "--input", "20x16", "--input", "int64:2x60:0..20")
    assert result.exit_code == 0, result.output
    assert "method real" in result.stdout and "note: meta run stopped in module 'conv1' (GCNConv)" in result.stdout


BAD_INPUTS = [
    (["profile", "missing.py:Net", "--input", "1x3"], "file 'missing.py' not found"),
    (["profile", f"{MODELS}:ResNte", "--input", "1x3x8x8"], "has no attribute 'ResNte'; did you mean 'ResNet'"),
    (["profile", "no_such_package.models:Net", "--input", "1x3"], "cannot import module 'no_such_package.models'"),
    (["profile", "ResNet", "--input", "1x3"], "cannot read target 'ResNet'"),
    (["profile", f"{MODELS}:ResNet", "--input", "1x1x32x32"],
     "the model failed in module 'stem.0' (Conv2d), which received 1x1x32x32"),
    (["profile", f"{MODELS}:PlainCNN", "--input", "1x3xfoo"], "cannot parse input '1x3xfoo': 'foo' is not a positive integer"),
    (["profile", f"{MODELS}:PlainCNN", "--input", "in64:1x3"], "unknown dtype 'in64'; did you mean 'int64'"),
    (["profile", f"{MODELS}:PlainCNN", "--input", "1x3x8x8", "--kwargs", '{"depth": 5'], "--kwargs is not valid JSON"),
    (["profile", f"{MODELS}:PlainCNN", "--input", "1x3x8x8", "--kwargs", "[5]"], "--kwargs must be a JSON object"),
    (["profile", f"{MODELS}:PlainCNN", "--input", "1x3x8x8", "--kwargs", '{"dpth": 5}'],
     "cannot call PlainCNN(**kwargs): got an unexpected keyword argument 'dpth'; it accepts depth, width"),
    (["profile", f"{MODELS}:PlainCNN"], "profile needs at least one --input"),
    (["profile", "hf:BertModl", "--input", "int64:1x8"], "transformers has no model class 'BertModl'; did you mean 'BertModel'"),
    (["profile", "hf:BertModel", "--input", "int64:1x8", "--config", '{"num_hidden_layer": 2}'],
     "unknown field 'num_hidden_layer' for BertConfig; did you mean 'num_hidden_layers'"),
]


@pytest.mark.parametrize("args, message", BAD_INPUTS, ids=[m.split(":")[0][:40] for _, m in BAD_INPUTS])
def test_bad_input_is_one_clear_line_and_exit_2(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback():
    # In a real process: the exception escapes with a traceback and a non-zero exit.
    proc = subprocess.run([sys.executable, "-m", "archwise.cli", "profile", f"{MODELS}:ResNet", "--input", "1x1x32x32",
                           "--debug"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "ArchwiseError" in proc.stderr


def test_entry_point_installed():
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "archwise"), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("archwise ")
