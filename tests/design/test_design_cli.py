"""archwise design, zoo and profile zoo: from the command line: output (golden files), exit codes,
the spec file, --emit, and one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from archwise.cli import app

CIFAR = ["design", "--modality", "image", "--input", "3x32x32", "--samples", "50000", "--outputs", "10",
         "--device", "a100-40gb", "--latency-budget", "30ms", "--batch-size", "128"]


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "160"})


def test_design_text_golden(golden):
    result = run(*CIFAR)
    assert result.exit_code == 0, result.output
    golden("design_cifar10.txt", result.stdout)


def test_design_tabular_golden(golden):
    result = run("design", "--modality", "tabular", "--input", "20", "--samples", "20000", "--outputs", "2",
                 "--device", "t4")
    assert result.exit_code == 0, result.output
    golden("design_tabular.txt", result.stdout)


def test_design_json_has_the_keys_and_parts_that_add_up():
    result = run(*CIFAR, "--json")
    assert result.exit_code == 0
    d = json.loads(result.stdout)
    assert d["schema"] == "archwise.design/1"
    assert d["architecture"].startswith("ResNet-20") and d["params"] == 272_474
    assert [c["name"] for c in d["constraints"]] == ["capacity", "training_memory", "latency"]
    assert all(c["ok"] for c in d["constraints"]) and d["binding_constraint"] == "capacity"


def test_spec_file_gives_the_same_answer_and_options_override_it(tmp_path):
    spec = tmp_path / "problem.yaml"
    spec.write_text("modality: image\ninput: 3x32x32\nsamples: 50000\noutputs: 10\ndevice: a100-40gb\n"
                    "latency-budget: 30ms\nbatch_size: 128\n")
    from_file = json.loads(run("design", "--spec", str(spec), "--json").stdout)
    from_flags = json.loads(run(*CIFAR, "--json").stdout)
    assert from_file == from_flags
    smaller = json.loads(run("design", "--spec", str(spec), "--samples", "5000", "--json").stdout)
    assert smaller["params"] < from_file["params"]


def test_emit_writes_a_file_that_builds(tmp_path):
    out = tmp_path / "model.py"
    result = run(*CIFAR, "--emit", str(out))
    assert result.exit_code == 0
    assert f"wrote {out}" in result.stdout
    import importlib.util

    spec = importlib.util.spec_from_file_location("emitted_cli_model", out)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model()
    assert sum(p.numel() for p in model.parameters()) == 272_474


def test_no_candidate_fits_exits_1_with_the_closest_and_what_to_relax():
    result = run("design", "--modality", "image", "--input", "3x32x32", "--samples", "50000", "--outputs", "10",
                 "--device", "t4", "--latency-budget", "1us")
    assert result.exit_code == 1
    assert "No candidate meets every budget; closest:" in result.stdout
    assert "To make it fit, relax one of" in result.stdout and "latency budget: 1.00 µs → at least" in result.stdout


@pytest.mark.parametrize("args,message", [
    (["--modality", "sequence", "--input", "8", "--samples", "100", "--outputs", "2"], "needs its sequence length"),
    (["--modality", "image", "--input", "3x32x32", "--samples", "-5", "--outputs", "2"], "samples must be at least 1"),
    (["--modality", "imgae", "--input", "3x32x32", "--samples", "5", "--outputs", "2"], "did you mean 'image'"),
    (["--modality", "image", "--input", "3x32x32", "--samples", "5", "--outputs", "2", "--device", "h1000"],
     "unknown device 'h1000'"),
    (["--input", "3x32x32"], "design needs the problem"),
    (["--spec", "missing.yaml"], "spec file 'missing.yaml' not found"),
    (["--modality", "image", "--input", "3x32x32", "--samples", "5", "--outputs", "2", "--emit", "model.txt"],
     "expected a .py path"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = run("design", *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


def test_unknown_field_in_spec_file(tmp_path):
    spec = tmp_path / "p.yaml"
    spec.write_text("modality: image\nsampels: 5\n")
    result = run("design", "--spec", str(spec))
    assert result.exit_code == 2 and "unknown field 'sampels'" in result.stderr and "did you mean 'samples'" in result.stderr


def test_zoo_lists_every_builder(golden):
    result = run("zoo")
    assert result.exit_code == 0
    golden("zoo.txt", result.stdout)
    one = run("zoo", "resnet")
    assert one.exit_code == 0 and "block" in one.stdout and "inputs at batch 1: (1, 3, 32, 32)" in one.stdout
    assert run("zoo", "resnte").exit_code == 2


def test_profile_a_zoo_target_with_kwargs():
    result = run("profile", "zoo:resnet", "--kwargs", '{"depth": 18, "width": 64, "img_size": 224, '
                 '"num_outputs": 1000}', "--json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["params"]["total"] == 11_689_512  # torchvision's ResNet-18
    assert d["inputs"] == ["1x3x224x224"]
    bad = run("profile", "zoo:lightgbm")
    assert bad.exit_code == 2 and "not a torch model" in bad.stderr


def test_check_a_zoo_target():
    result = run("check", "zoo:mlp", "--kwargs", '{"in_features": 20, "num_outputs": 2, "hidden": 16, "depth": 1}',
                 "--modality", "tabular", "--samples", "20000")
    assert result.exit_code == 0, result.output
