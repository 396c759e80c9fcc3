"""``archwise check`` and ``archwise rules`` from the command line: output, formats, exit codes, settings."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from archwise.cli import app
from archwise.report.check import rules_page
from archwise.rules import all_rules
from tests.conftest import ROOT

AP = str(ROOT / "examples" / "antipatterns.py")


def run(*args: str, cwd=None):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "160"})


def test_text_output_golden(golden):
    result = run("check", f"{AP}:PlainDeepCNN", "--input", "2x3x32x32", "--modality", "image", "--samples", "50000")
    assert result.exit_code == 1, result.output  # an error-level finding, --fail-on error (the default)
    golden("check_plain_deep_cnn.txt", result.stdout)


def test_clean_model_exits_0_and_says_so(golden):
    result = run("check", f"{AP}:SmallResNet", "--input", "2x3x32x32", "--modality", "image")
    assert result.exit_code == 0, result.output
    golden("check_small_resnet.txt", result.stdout)


def test_fail_on_sets_the_exit_code():
    args = ("check", f"{AP}:SmallResNet", "--input", "2x3x32x32", "--modality", "image", "--samples", "50000")
    assert run(*args).exit_code == 0  # one info finding
    assert run(*args, "--fail-on", "warning").exit_code == 0
    assert run(*args, "--fail-on", "info").exit_code == 1


def test_json_is_a_stable_object():
    result = run("check", f"{AP}:VeryDeepNarrow", "--input", "2x3x32x32", "--modality", "image", "--format", "json")
    data = json.loads(result.stdout)
    assert set(data) == {"schema", "model", "inputs", "spec", "findings", "summary", "notes"}
    assert data["schema"] == "archwise.check/1"
    codes = [f["code"] for f in data["findings"]]
    assert codes[:1] == ["AW201"] and "AW301" in codes
    for f in data["findings"]:
        assert set(f) == {"code", "name", "severity", "message", "why", "evidence", "fixes", "principle", "where"}
        assert f["fixes"] and f["principle"]
    summary = data["summary"]
    assert summary["total"] == len(data["findings"]) == summary["error"] + summary["warning"] + summary["info"]
    assert data["findings"][0]["evidence"]["depth"] == 101  # 100 convolutions + the classifier


def test_github_annotations_point_at_the_class():
    result = run("check", f"{AP}:MLPOnImages", "--input", "2x3x32x32", "--modality", "image", "--format", "github")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("::error file=examples/antipatterns.py,line=") or lines[0].startswith("::error file=")
    assert "title=AW101 mlp-on-images (net.1)" in lines[0]
    assert "::" in lines[0][2:]


def test_markdown_has_a_table_and_sections():
    result = run("check", f"{AP}:MLPOnImages", "--input", "2x3x32x32", "--modality", "image", "--format", "markdown")
    assert "| code | severity | rule | where | finding |" in result.stdout
    assert "### AW101 mlp-on-images (error)" in result.stdout


def test_select_ignore_and_threshold_on_the_command_line():
    base = ("check", f"{AP}:VeryDeepNarrow", "--input", "2x3x32x32", "--modality", "image", "--format", "json")
    codes = lambda r: [f["code"] for f in json.loads(r.stdout)["findings"]]  # noqa: E731
    assert codes(run(*base, "--select", "AW3")) == ["AW301"]
    assert "AW201" not in codes(run(*base, "--ignore", "AW2"))
    assert "AW301" not in codes(run(*base, "--threshold", "AW301.max_depth=200"))


def test_settings_from_pyproject(tmp_path):
    toml = tmp_path / "pyproject.toml"
    toml.write_text('[tool.archwise]\nignore = ["AW7"]\nfail-on = "warning"\n\n'
                    '[tool.archwise.rules.deep-and-narrow]\nmax_depth = 200\n')
    result = run("check", f"{AP}:VeryDeepNarrow", "--input", "2x3x32x32", "--modality", "image", "--format", "json",
                 "--settings", str(toml))
    codes = [f["code"] for f in json.loads(result.stdout)["findings"]]
    assert codes == ["AW201"]
    assert result.exit_code == 1


@pytest.mark.parametrize("args, message", [
    (("--modality", "imag"), "unknown modality 'imag'; expected one of image"),
    (("--modality", "image", "--select", "XX1"), "--select 'XX1' matches no rule"),
    (("--modality", "image", "--threshold", "AW301.depth=3"), "has no threshold 'depth'"),
    (("--samples", "10"), "need --modality"),
    (("--modality", "image", "--format", "xml"), "unknown --format 'xml'"),
    (("--modality", "image", "--samples", "0"), "samples must be at least 1"),
    (("--modality", "image", "--device", "h1000"), "unknown device 'h1000'"),
])
def test_usage_errors_are_one_line_and_exit_2(args, message):
    result = run("check", f"{AP}:SmallResNet", "--input", "2x3x32x32", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_rules_lists_every_rule_and_shows_one():
    listing = run("rules")
    assert listing.exit_code == 0
    for rule in all_rules():
        assert rule.code in listing.stdout and rule.name in listing.stdout
    one = run("rules", "AW201")
    assert one.stdout.startswith("# AW201 plain-deep-network")
    assert "## Why is this bad?" in one.stdout
    assert run("rules", "AW999").exit_code == 2


def test_docs_rules_page_is_generated_from_the_docstrings():
    page = ROOT / "docs" / "rules.md"
    assert page.read_text() == rules_page(all_rules()), "docs/rules.md is stale: run archwise rules --markdown > docs/rules.md"
