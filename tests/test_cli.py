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
    (["profile", f"{MODELS}:PlainCNN", "--input", "1x3x8x8", "--device", "h1000"],
     "unknown device 'h1000'; did you mean 'h100-sxm'?; known: h100-sxm, a100-40gb, a100-80gb, l4, t4"),
    (["profile", f"{MODELS}:PlainCNN", "--input", "1x3x8x8", "--train", "--optimizer", "adamm"],
     "unknown optimizer 'adamm'; did you mean 'adam' or 'adamw'?; known: sgd, momentum, adam, adamw, adafactor"),
    (["profile", f"{MODELS}:PlainCNN", "--input", "1x3x8x8", "--train", "--precision", "bf17"],
     "unknown precision 'bf17'"),
    (["profile", f"{MODELS}:PlainCNN", "--input", "1x3x8x8", "--memory", "24 parsecs"],
     "cannot read memory size '24 parsecs'"),
    (["profile", f"{MODELS}:PlainCNN", "--input", "1x3x8x8", "--train", "--device", "t4", "--sharding", "zero4"],
     "unknown sharding 'zero4'; known: ddp, zero1, zero2, zero3, fsdp"),
    (["profile", f"{MODELS}:PlainCNN", "--input", "1x3x8x8", "--device", "t4", "--memory", "16GB"],
     "give --device or --memory, not both"),
    (["profile", f"{MODELS}:PlainCNN", "--input", "2x3x8x8", "--train", "--checkpointing"],
     "--checkpointing found no repeated blocks"),
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


def test_a_training_profile_writes_nothing_to_stderr():
    # In a real process, where native libraries write to file descriptor 2 (libkineto prints a line
    # each time a profiler starts, and the CPU memory simulation starts one per convolution).
    proc = subprocess.run([sys.executable, "-m", "archwise.cli", "profile", f"{MODELS}:ResNet", "--input", "4x3x32x32",
                           "--train"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "Training memory" in proc.stdout
    assert proc.stderr == ""


def test_entry_point_installed():
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "archwise"), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("archwise ")


def test_memory_sizes_in_any_spelling(golden):
    for size in ("24GB", "24 GiB", "24gb"):
        result = run("profile", f"{MODELS}:PlainCNN", "--input", "2x3x8x8", "--memory", size, "--json",
                     "--no-batch-search")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["fit"]["capacity_bytes"] == 24 * 2**30


def test_batch_that_fits_nowhere_is_one_clear_error_after_the_report():
    result = run("profile", f"{MODELS}:PlainCNN", "--input", "8x3x64x64", "--train", "--memory", "256MB")
    assert result.exit_code == 2
    assert "does not fit" in result.stdout and "What would make it fit" in result.stdout  # the remedies
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not fit on a GPU with 256MB of memory (training) even at a batch of 1" in lines[0]


def test_training_memory_and_fit_golden(golden):
    result = run("profile", f"{MODELS}:ResNet", "--input", "16x3x32x32", "--train", "--device", "t4",
                 "--gpus", "4", "--sharding", "zero3")
    assert result.exit_code == 0, result.output
    golden("profile_resnet_train_t4.txt", result.stdout)


def test_memory_json_keys():
    result = run("profile", f"{MODELS}:ResNet", "--input", "16x3x32x32", "--train", "--device", "a100-80gb",
                 "--gpus", "8", "--sharding", "fsdp", "--json")
    data = json.loads(result.stdout)
    training = data["memory"]["training"]
    parts = ("weights", "weight_copies", "gradients", "optimizer_state", "activations", "transient")
    assert sum(training[k] for k in parts) == training["peak_bytes"] and training["peak_phase"] == "backward"
    assert data["memory"]["inference"]["peak_bytes"] > 0
    fit = data["fit"]
    assert fit["device"] == "a100-80gb" and fit["fits"] is True and fit["max_batch_size"] > 16
    assert isinstance(fit["remedies"], list) and fit["per_gpu_bytes"] < fit["required_bytes"]
    assert sum(line["bytes"] for line in fit["lines"]) == fit["required_bytes"]
    latency = data["latency"]
    assert latency["device"] == "a100-80gb" and latency["predicted_ms"] > 0 and latency["measured_ms"] is None
    assert {"path", "forward_ms", "backward_ms"} <= latency["per_layer"][0].keys()


def test_devices_lists_the_catalog_with_sources():
    result = run("devices", "--json")
    assert result.exit_code == 0, result.output
    devices = {d["name"]: d for d in json.loads(result.stdout)}
    assert {"h100-sxm", "a100-40gb", "a100-80gb", "l4", "t4", "rtx-4090", "jetson-orin", "phone-cpu", "cpu"} <= set(devices)
    assert "datasheet" in devices["h100-sxm"]["sources"]["peak_flops"]
    table = run("devices", "--sources")
    assert "NVIDIA H100 SXM5 80GB" in table.stdout and "989.4 TFLOP/s" in table.stdout


def test_calibrate_stores_measurements(tmp_path):
    result = CliRunner().invoke(app, ["calibrate", "--quick"], env={"ARCHWISE_CACHE_DIR": str(tmp_path),
                                                                   "COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    stored = json.loads((tmp_path / "calibration.json").read_text())
    assert stored["bandwidth"] > 0 and "GFLOP/s" in result.stdout and str(tmp_path) in result.stdout
