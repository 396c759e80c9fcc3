"""The README's benchmark tables are rendered from benchmarks/results/*.json by benchmarks/run_all.py.

Every ``<!-- bench:NAME -->`` region in README.md must be a table run_all knows, every table it knows
must have a region, and each region must equal what its renderer makes of the committed JSON
(``python benchmarks/run_all.py --check``). The renderers are also run on small made-up results, so
that one that ignores its input fails.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from benchmarks import run_all

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_every_marked_region_is_a_known_table_and_every_table_is_marked():
    found = run_all.regions(README)  # raises on an unclosed, nested or repeated marker
    assert sorted(set(found) - set(run_all.TABLES)) == [], "README marks tables run_all.py does not know"
    assert sorted(set(run_all.TABLES) - set(found)) == [], "tables run_all.py renders with no region in README"
    opening = re.findall(r"<!-- bench:([^ ]+) -->", README)
    closing = re.findall(r"<!-- /bench:([^ ]+) -->", README)
    assert sorted(opening) == sorted(closing) == sorted(found), "a marker that is not on a line of its own"


def test_every_table_names_the_command_that_regenerates_it():
    lines = README.splitlines()
    for name, (module, _) in run_all.TABLES.items():
        end = lines.index(f"<!-- /bench:{name} -->")
        assert lines[end + 1] == f"Regenerate: `python benchmarks/run_all.py {module}`", name
        assert (ROOT / "benchmarks" / f"{module}.py").exists()


def test_every_table_renders_from_its_committed_json():
    for name in run_all.TABLES:
        assert run_all.results_path(name).exists(), name
        table = run_all.render(name)
        rows = table.splitlines()
        assert len(rows) >= 3 and all(r.startswith("| ") or r.startswith("|-") for r in rows), name
        assert len({len(re.findall(r"(?<!\\)\|", r)) for r in rows}) == 1, f"{name}: ragged columns"


def test_readme_tables_equal_what_the_json_renders(capsys):
    assert run_all.main(["--check"]) == 0, capsys.readouterr().out
    new, changed = run_all.update(README, run_all.render_all())
    assert changed == [] and new == README


def test_check_fails_and_readme_only_rewrites(tmp_path, monkeypatch, capsys):
    stale = README.replace("| mlp | 3.15 MiB |", "| mlp | 9.99 MiB |", 1)
    assert stale != README
    readme = tmp_path / "README.md"
    readme.write_text(stale)
    monkeypatch.setattr(run_all, "README", readme)
    assert run_all.main(["--check"]) == 1
    assert "memory_vs_anchors" in capsys.readouterr().out
    assert readme.read_text() == stale  # --check writes nothing
    assert run_all.main(["--readme-only"]) == 0
    assert "memory_vs_anchors" in capsys.readouterr().out
    assert readme.read_text() == README
    assert run_all.main(["--check"]) == 0


def test_markers_that_do_not_pair_up_are_refused():
    table = "| a |\n|---|\n| 1 |"
    with pytest.raises(ValueError, match="never closed"):
        run_all.regions("<!-- bench:x -->\n" + table + "\n")
    with pytest.raises(ValueError, match="closes"):
        run_all.regions("<!-- bench:x -->\n" + table + "\n<!-- /bench:y -->\n")
    with pytest.raises(ValueError, match="twice"):
        run_all.regions("<!-- bench:x -->\n<!-- /bench:x -->\n<!-- bench:x -->\n<!-- /bench:x -->\n")
    rendered = {"x": table}
    with pytest.raises(ValueError, match="does not know: y"):
        run_all.update("<!-- bench:x -->\n<!-- /bench:x -->\n<!-- bench:y -->\n<!-- /bench:y -->\n", rendered)
    with pytest.raises(ValueError, match="no region for: x"):
        run_all.update("no markers here\n", rendered)
    text, changed = run_all.update("before\n\n<!-- bench:x -->\nold\n<!-- /bench:x -->\nafter\n", rendered)
    assert changed == ["x"]
    assert text == f"before\n\n<!-- bench:x -->\n\n{table}\n\n<!-- /bench:x -->\nafter\n"


# ---- the renderers on small made-up results ------------------------------------------------------

def test_diagnose_suite_table_from_synthetic_results():
    from benchmarks import diagnose_suite

    def part(found, faults, alarms, healthy):
        return {"fault_runs": faults, "found": found, "recall": found / faults, "healthy_runs": healthy,
                "false_alarms": alarms, "false_alarm_rate": alarms / healthy}

    result = {"summary": {"seeds": 7, "tuning_seeds_0_4": part(3, 4, 1, 5), "held_out_seeds_5_up": part(1, 2, 0, 2),
                          "all": part(4, 6, 1, 7)}}
    assert diagnose_suite.markdown(result) == "\n".join([
        "| seeds | faults found (recall) | healthy runs with a warning (false alarms) |",
        "| --- | --- | --- |",
        "| 0–4 (looked at while setting the thresholds) | 3/4 (75 %) | 1/5 (20 %) |",
        "| 5–6 (held out) | 1/2 (50 %) | 0/2 (0 %) |",
        "| all | 4/6 (67 %) | 1/7 (14 %) |"])


def test_memory_table_from_synthetic_results():
    from benchmarks import memory_vs_anchors

    mib = 2**20
    rows = [{"model": "tiny", "measured": 4 * mib, "archwise": 4 * mib, "torchinfo": 2 * mib, "accelerate": 5 * mib,
             "seed formula": 3 * mib},
            {"model": "odd", "measured": 10 * mib, "archwise": 11 * mib, "torchinfo": None, "accelerate": 10 * mib,
             "seed formula": 1 * mib}]
    assert memory_vs_anchors.markdown({"rows": rows}) == "\n".join([
        "| model | measured peak | archwise | torchinfo | accelerate | seed formula |",
        "|---|---:|---:|---:|---:|---:|",
        "| tiny | 4.00 MiB | 4.00 MiB (+0.0 %) | 2.00 MiB (-50.0 %) | 5.00 MiB (+25.0 %) | 3.00 MiB (-25.0 %) |",
        "| odd | 10.00 MiB | 11.00 MiB (+10.0 %) | failed | 10.00 MiB (+0.0 %) | 1.00 MiB (-90.0 %) |",
        "| **median absolute error** | | **10.0 %** | **50.0 %** | **25.0 %** | **90.0 %** |"])


def test_ladder_table_from_synthetic_results():
    from benchmarks import ladder_runs

    base = {"data": "digits", "options": "defaults", "executor": "local", "workers": 2, "wall_s": 12.34,
            "vs_target": 12.34 / 30, "training_s": 8.0, "recommended": "resnet", "metric": "accuracy",
            "test_score": 0.95, "test_std": 0.01, "same_numbers_as_local": True}
    other = {**base, "data": "diabetes", "options": "--workers 1", "executor": "inline", "workers": 1, "wall_s": 3.0,
             "vs_target": 0.1, "metric": "mse", "test_score": 2897.4, "test_std": 14.2, "recommended": "linear"}
    del other["same_numbers_as_local"]
    text = ladder_runs.markdown({"target_s": 30.0, "rows": [base, other]})
    assert text.splitlines()[0].startswith("| data | options | runs on | wall | of 30 s |")
    assert text.splitlines()[2:] == [
        "| digits | defaults | local, 2 workers | 12.3 s | 41 % | 8.0 s | resnet | 95.00 ± 1.00 % | yes |",
        "| diabetes | `--workers 1` | inline, 1 worker | 3.0 s | 10 % | 8.0 s | linear | MSE 2897 ± 14 |  |"]


def test_ladder_stability_table_from_synthetic_results():
    from benchmarks import ladder_stability

    def row(i, loaded, kept, pick, same):
        return {"run": i, "loaded": loaded, "wall_s": 30.0 + i, "recommended": pick, "cnn_kept": kept,
                "cnn_test_score": 0.98, "cnn_test_std": 0.003, "cnn_gain": 0.016, "cnn_noise": 0.004,
                "compared_with": "mlp-128", "skipped": [], "same_numbers_as_run_1": same}

    runs = [row(1, False, True, "resnet", True), row(2, True, False, "linear", False), row(3, False, True, "resnet", True),
            row(4, True, True, "resnet", True), row(5, False, True, "resnet", True)]
    assert ladder_stability.markdown({"runs": runs}).splitlines()[2:] == [
        "| 3 | nothing | 3 of 3 | resnet | 98.00 ± 0.30 % | mlp-128 | 4.0 | 3 of 3 | 33.0 s |",
        "| 2 | a CPU-bound process | 1 of 2 | linear, resnet | 98.00 ± 0.30 % | mlp-128 | 4.0 | 1 of 2 | 34.0 s |"]


def test_diagnose_realistic_table_from_synthetic_results():
    from benchmarks import diagnose_realistic

    def part(found, right, faults, alarms, quiet):
        return {"fault_runs": faults, "found": found, "recall": found / faults if faults else None,
                "right_first": right, "right_first_rate": right / faults if faults else None, "quiet_runs": quiet,
                "false_alarms": alarms, "false_alarm_rate": alarms / quiet if quiet else None, "errors": 0}

    tuned = {"per_class": {"scale": part(2, 1, 2, 0, 0), "healthy": part(0, 0, 0, 1, 4)},
             "overall": part(2, 1, 2, 1, 4)}
    result = {"summary": {"seeds": 1, "runs": 6, "parts": {"tuned": tuned}}}
    assert diagnose_realistic.markdown(result).splitlines()[2:] == [
        "| tuned | scale | 2/2 (100 %) | 1/2 (50 %) | – |",
        "| tuned | healthy | – | – | 1/4 (25 %) |",
        "| tuned | **overall** | 2/2 (100 %) | 1/2 (50 %) | 1/4 (25 %) |"]


def test_committed_results_changed_change_the_tables():
    """Every renderer reads its figures: perturb each committed JSON's numbers and its table changes."""
    def bump(value):
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return value * 1.37 + 1
        if isinstance(value, dict):
            return {k: bump(v) for k, v in value.items()}
        if isinstance(value, list):
            return [bump(v) for v in value]
        return value

    for name in run_all.TABLES:
        data = json.loads(run_all.results_path(name).read_text())
        render = run_all.renderer(name)
        assert render(bump(copy.deepcopy(data))) != render(data), f"{name} ignores its figures"
