"""Run every benchmark (each prints its tables and writes its JSON under benchmarks/results/), then
rewrite every table of README.md marked ``<!-- bench:NAME -->`` … ``<!-- /bench:NAME -->`` from the JSON.

    python benchmarks/run_all.py                     # every benchmark, then the README's tables
    python benchmarks/run_all.py ladder_runs         # only these benchmarks, then the README's tables
    python benchmarks/run_all.py --quick             # other arguments go to the benchmarks (--quick only to those that take it)
    python benchmarks/run_all.py --readme-only       # no benchmark: the README's tables from the saved JSON
    python benchmarks/run_all.py --check             # no writes: exit 1 and name the tables that differ from the JSON

Every table is rendered by a pure function of its benchmark's JSON (``TABLES``), so the README shows
nothing that benchmarks/results/ does not hold; tests/test_bench_tables.py checks that they agree.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = ROOT / "README.md"
RESULTS = HERE / "results"
BENCHMARKS = ["profile_vs_anchors.py", "memory_vs_anchors.py", "fit_examples.py", "latency_vs_measured.py",
              "check_reference_models.py", "design_grid.py", "monitor_overhead.py", "diagnose_suite.py", "diagnose_realistic.py",
              "ladder_runs.py", "ladder_stability.py", "demo_steps.py"]
TAKES_QUICK = {"profile_vs_anchors.py", "monitor_overhead.py", "ladder_runs.py"}

# README region name -> (benchmark module, renderer): the renderer takes benchmarks/results/<module>.json
# (parsed) and returns the Markdown table. fit_examples and design_grid have no README table (prose).
TABLES: dict[str, tuple[str, str]] = {
    "check_reference_models.models": ("check_reference_models", "models_table"),
    "check_reference_models.anti_patterns": ("check_reference_models", "anti_patterns_table"),
    "diagnose_suite": ("diagnose_suite", "markdown"),
    "diagnose_realistic": ("diagnose_realistic", "markdown"),
    "monitor_overhead": ("monitor_overhead", "readme_table"),
    "ladder_runs": ("ladder_runs", "markdown"),
    "ladder_stability": ("ladder_stability", "markdown"),
    "profile_vs_anchors.macs": ("profile_vs_anchors", "macs_table"),
    "profile_vs_anchors.cost": ("profile_vs_anchors", "cost_table"),
    "memory_vs_anchors": ("memory_vs_anchors", "markdown"),
    "latency_vs_measured": ("latency_vs_measured", "table"),
    "demo_steps": ("demo_steps", "markdown"),
}

MARKER = re.compile(r"^<!-- (/?)bench:([A-Za-z0-9_.-]+) -->[ \t]*$", re.M)


def renderer(name: str) -> Callable[[dict], str]:
    module, function = TABLES[name]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return getattr(importlib.import_module(f"benchmarks.{module}"), function)


def results_path(name: str, results: Path = RESULTS) -> Path:
    return results / f"{TABLES[name][0]}.json"


def render(name: str, results: Path = RESULTS) -> str:
    """Table NAME as Markdown, from its benchmark's saved JSON."""
    return renderer(name)(json.loads(results_path(name, results).read_text())).strip("\n")


def render_all(results: Path = RESULTS) -> dict[str, str]:
    return {name: render(name, results) for name in TABLES}


def regions(text: str) -> dict[str, tuple[int, int]]:
    """NAME -> (start, end) of the text between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``.
    Raises ValueError on a marker without its partner, a nested or repeated region."""
    found: dict[str, tuple[int, int]] = {}
    open_name, open_end = None, 0
    for m in MARKER.finditer(text):
        closing, name = m.group(1) == "/", m.group(2)
        line = text.count("\n", 0, m.start()) + 1
        if not closing:
            if open_name is not None:
                raise ValueError(f"README line {line}: bench:{name} opens inside bench:{open_name}")
            if name in found:
                raise ValueError(f"README line {line}: bench:{name} marked twice")
            open_name, open_end = name, m.end()
        else:
            if open_name != name:
                raise ValueError(f"README line {line}: /bench:{name} closes "
                                 + (f"bench:{open_name}" if open_name else "nothing"))
            found[name] = (open_end, m.start())
            open_name = None
    if open_name is not None:
        raise ValueError(f"README: bench:{open_name} is never closed")
    return found


def region_text(table: str) -> str:
    """What goes between the markers: the table, with a blank line either side (so that Markdown
    sees the comments as their own blocks and the table as a table)."""
    return f"\n\n{table}\n\n"


def update(text: str, rendered: dict[str, str]) -> tuple[str, list[str]]:
    """README text with every marked region replaced by its rendered table; and the names that changed.
    Raises ValueError for a region no renderer knows and for a table with no region."""
    found = regions(text)
    unknown = sorted(set(found) - set(rendered))
    missing = sorted(set(rendered) - set(found))
    if unknown or missing:
        raise ValueError("; ".join(
            ([f"README marks tables run_all does not know: {', '.join(unknown)}"] if unknown else [])
            + ([f"README has no region for: {', '.join(missing)}"] if missing else [])))
    changed = [name for name in found if text[slice(*found[name])].strip("\n") != rendered[name]]
    for name, (start, end) in sorted(found.items(), key=lambda kv: -kv[1][0]):
        text = text[:start] + region_text(rendered[name]) + text[end:]
    return text, changed


def run_benchmarks(scripts: list[str], passthrough: list[str]) -> None:
    for script in scripts:
        args = [a for a in passthrough if a != "--quick" or script in TAKES_QUICK]
        print(f"== {script} {' '.join(args)}".rstrip(), flush=True)
        subprocess.run([sys.executable, str(HERE / script), *args], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=" ".join(__doc__.split("\n\n")[0].split()),
        usage="%(prog)s [BENCHMARK ...] [--readme-only | --check] [ARGUMENTS FOR THE BENCHMARKS ...]",
        epilog="BENCHMARK (run only these): " + ", ".join(b[:-3] for b in BENCHMARKS)
               + ". Any other argument is passed to every benchmark run (--quick only to "
               + ", ".join(sorted(b[:-3] for b in TAKES_QUICK)) + ").")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--readme-only", action="store_true", help="run no benchmark; rewrite the README's tables "
                                                                  "from benchmarks/results/*.json")
    group.add_argument("--check", action="store_true", help="run no benchmark and write nothing; exit 1 if a "
                                                            "README table differs from what its JSON renders")
    args, rest = parser.parse_known_args(argv)
    names = [a.removesuffix(".py") for a in rest if a.removesuffix(".py") + ".py" in BENCHMARKS]
    passthrough = [a for a in rest if a.removesuffix(".py") + ".py" not in BENCHMARKS]
    if (args.readme_only or args.check) and (names or passthrough):
        parser.error("--readme-only and --check run no benchmark: they take no benchmark names or arguments")
    if not (args.readme_only or args.check):
        run_benchmarks([b for b in BENCHMARKS if not names or b[:-3] in names], passthrough)

    text = README.read_text()
    try:
        new, changed = update(text, render_all())
    except ValueError as err:
        print(f"README.md: {err}", file=sys.stderr)
        return 1
    if args.check:
        if changed:
            print("README tables that differ from benchmarks/results/*.json (python benchmarks/run_all.py "
                  "--readme-only rewrites them):")
            for name in changed:
                print(f"  {name} (from {results_path(name).relative_to(ROOT)})")
            return 1
        print(f"README tables match benchmarks/results/*.json: all {len(TABLES)}.")
        return 0
    if new != text:
        README.write_text(new)
    if changed:
        print("README tables updated: " + ", ".join(changed))
    else:
        print(f"README tables: all {len(TABLES)} already up to date.")
    if new != text and not changed:
        print("(only the blank lines around the tables changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
