"""archwise report: every kind of input, both formats, escaping, totals, and bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archwise.cli import app
from archwise.report.blocks import Table, md
from archwise.report.document import build_report, render_html, render_markdown, write_report

runner = CliRunner()

HEADINGS = {
    "profile": ["Where the parameters and FLOPs sit", "Per layer", "Memory", "Fit on NVIDIA T4 16GB (training)",
                "Per-GPU memory under each sharding strategy", "Latency"],
    "check": ["Errors", "Warnings"],
    "design": ["The decision path through the seed&#39;s tree", "Budgets and the binding constraint", "Candidates"],
    "monitor": ["Diagnoses", "Gradient flow per layer over time", "Learning curves"],
    "ladder": ["Rungs, simplest first", "Verdicts"],
}


def _number(cell: str) -> int | None:
    return int(cell.replace(",", "")) if re.fullmatch(r"-?[\d,]+", cell) else None


@pytest.mark.parametrize("kind", list(HEADINGS))
def test_each_kind_renders_its_parts(results, kind) -> None:
    doc = build_report([results[kind]])
    html = render_html(doc)
    assert f'data-kind="{kind}"' in html
    for heading in HEADINGS[kind]:
        assert f">{heading}" in html, heading
    assert html.count("data:image/png;base64,") == sum(type(b).__name__ == "Figure" for b in doc.sections[0].blocks)


def test_tables_add_up_to_their_totals(results) -> None:
    doc = build_report(list(results.values()))
    checked = 0
    for section in doc.sections:
        for block in section.blocks:
            if not isinstance(block, Table) or block.total is None:
                continue
            for col, total in enumerate(block.total):
                values = [_number(row[col]) for row in block.rows]
                if _number(total) is not None and None not in values:
                    assert sum(values) == _number(total), (section.kind, block.columns[col])
                    checked += 1
    assert checked >= 8  # params, FLOPs (groups, ops, layers), severities …


def test_numbers_are_the_inputs_numbers(results) -> None:
    prof = json.loads(results["profile"].read_text())
    check = json.loads(results["check"].read_text())
    design = json.loads(results["design"].read_text())
    ladder = json.loads((results["ladder"] / "ladder.json").read_text())
    html = render_html(build_report(list(results.values())))
    assert f"{prof['params']['total']:,} parameters" in html
    assert f"{prof['flops']['forward']:,}" in html
    assert f"{check['summary']['error']} error" in html
    assert f"{design['params']:,} parameters" in html
    assert f"recommended {ladder['recommended']}" in html
    for f in check["findings"]:
        assert f["code"] in html
    # the measured latency is shown beside the prediction
    assert f"{prof['latency']['measured_ms']:.3g} ms" in html


def test_user_strings_are_escaped(results, tmp_path) -> None:
    prof = json.loads(results["profile"].read_text())
    evil = "<script>alert(1)</script> | *x* [a](b)"
    prof["model"] = evil
    prof["layers"][0]["path"] = evil
    prof["notes"] = [evil]
    html = render_html(build_report([prof]))
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = render_markdown(build_report([prof]))
    assert "<script>" not in text
    assert md(evil) in text
    assert r"\<script\>alert(1)\</script\> \| \*x\* \[a\](b)" == md(evil)


def test_html_is_self_contained(results, tmp_path) -> None:
    out = write_report(list(results.values()), tmp_path / "r.html")
    html = out.read_text()
    assert "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'<img src="([^"]+)"', html))
    ids = set(re.findall(r'id="([^"]+)"', html))
    assert set(re.findall(r'href="#([^"]+)"', html)) <= ids


def test_markdown_has_the_same_sections_and_saves_figures(results, tmp_path) -> None:
    out = write_report(list(results.values()), tmp_path / "r.md")
    text = out.read_text()
    doc = build_report(list(results.values()))
    for s in doc.sections:
        assert f"## {s.kind}: " in text
        assert md(s.headline) in text
    figures = sorted((tmp_path / "r_files").glob("*.png"))
    links = re.findall(r"!\[[^\]]*\]\((r_files/[^)]+)\)", text)
    assert len(figures) == len(links) >= 5
    assert all((tmp_path / link).is_file() for link in links)


def test_cli_writes_html_and_markdown(results, tmp_path) -> None:
    res = runner.invoke(app, ["report", *map(str, results.values()), "--out", str(tmp_path / "all.html"),
                              "--title", "Digits <end to end>"])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "all.html").read_text()
    assert "<title>Digits &lt;end to end&gt;</title>" in html
    assert html.count("<section class=\"report") == 5
    res = runner.invoke(app, ["report", str(results["check"]), "--format", "markdown"])
    assert res.exit_code == 0 and res.stdout.startswith("# archwise check: ")


def _error(args: list[str]) -> str:
    res = runner.invoke(app, ["report", *args])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    return lines[0]


def test_bad_inputs_are_one_line(results, tmp_path) -> None:
    assert "no file or folder at" in _error([str(tmp_path / "missing.json")])
    (tmp_path / "d.json").write_text(json.dumps({"schema": "archwise.diagnose/1", "run": {"source": "run.jsonl"}}))
    assert "pass the run file itself (run.jsonl)" in _error([str(tmp_path / "d.json")])
    assert "recommended model" in _error([str(results["ladder"] / "model.json")])
    (tmp_path / "x.json").write_text("{not json")
    assert "is not JSON" in _error([str(tmp_path / "x.json")])
    (tmp_path / "other.json").write_text('{"a": 1}')
    assert "expected profile --json" in _error([str(tmp_path / "other.json")])
    assert "without a ladder.json" in _error([str(tmp_path)])
    assert "expected html or markdown" in _error([str(results["check"]), "--format", "pdf"])
    assert "is a folder" in _error([str(results["check"]), "--out", str(tmp_path)])


def test_markdown_golden(results, golden) -> None:
    """The Markdown of a check and a design: what a pull request shows (figures named, not saved)."""
    doc = build_report([results["design"], results["check"]])
    doc.generated = "archwise (version · time)"
    for s in doc.sections:
        s.source = Path(s.source).name
    golden("report_design_check.md", render_markdown(doc))
