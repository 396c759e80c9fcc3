"""``archwise ladder`` on the bundled datasets: the wall time of the whole command (Python start-up,
imports, every job), what it recommends, and the same run under each executor side by side.

    python benchmarks/ladder_runs.py          # prints the table, writes results/ladder_runs.json
    python benchmarks/ladder_runs.py --quick  # digits under the default executor only

The issue's target: on digits the CNN is recommended and the whole command takes under 60 s on a
2-core machine. Every run uses the defaults (3 seeds, threshold 5 %, budget 5 min, which decides
which rungs run and never stops a job); the executors must agree on every number except the timings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._process import archwise_json  # noqa: E402

TARGET_S = 60.0


def _numbers(report: dict) -> list:
    keep = ("name", "lr", "train_score", "test_score", "test_std", "kept", "reason", "epochs", "params")
    return [{k: r[k] for k in keep} for r in report["rungs"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    runs = [("digits", "defaults", [])]  # digits gets a pool of one worker per core; the small sets one process
    if not args.quick:
        runs += [("digits", "--workers 1", ["--workers", "1"]),
                 ("digits", "--executor ray", ["--executor", "ray"])]
        runs += [(name, "defaults", []) for name in ("breast_cancer", "wine", "diabetes", "sunspots", "karate")]
    rows = []
    for data, executor, extra in runs:
        r = archwise_json(["ladder", data, "--json", *extra])
        rep = r["report"]
        best = next(x for x in rep["rungs"] if x["name"] == rep["recommended"])
        rows.append({"data": data, "options": executor, "executor": rep["executor"], "wall_s": r["wall_s"],
                     "peak_rss_mb": r["peak_rss_mb"],
                     "training_s": sum(x["seconds"] for x in rep["rungs"]), "workers": rep["workers"],
                     "recommended": rep["recommended"], "metric": rep["metric"], "test_score": best["test_score"],
                     "test_std": best["test_std"],
                     "rungs": {x["name"]: {"test_score": x["test_score"], "test_std": x["test_std"],
                                           "params": x["params"], "kept": x["kept"], "seconds": x["seconds"]}
                               for x in rep["rungs"]},
                     "numbers": _numbers(rep)})
    base = rows[0]
    for row in rows:
        row["vs_target"] = row["wall_s"] / TARGET_S
        if row["data"] == "digits":
            row["same_numbers_as_local"] = row["numbers"] == base["numbers"]
            row["wall_vs_local"] = row["wall_s"] / base["wall_s"]
    print(f"archwise ladder, default options, on this machine ({cores} cores); target for digits: < {TARGET_S:g} s")
    print(f"{'data':<14}{'options':<27}{'runs on':<22}{'wall':>8}{'/60 s':>7}{'training':>10}{'recommended':>13}"
          f"{'test':>18}{'same numbers':>14}")
    for row in rows:
        score = (f"{100 * row['test_score']:.2f} ± {100 * row['test_std']:.2f} %" if row["metric"] == "accuracy"
                 else f"{row['test_score']:.4g} ± {row['test_std']:.2g}")
        same = {True: "yes", False: "NO"}.get(row.get("same_numbers_as_local"), "")
        where = f"{row['executor']}, {row['workers']} worker{'s' if row['workers'] > 1 else ''}"
        print(f"{row['data']:<14}{row['options']:<27}{where:<22}{row['wall_s']:>7.1f}s{row['vs_target']:>7.2f}"
              f"{row['training_s']:>9.1f}s{row['recommended']:>13}{score:>18}{same:>14}")
    d = base["rungs"]
    print("\ndigits, per rung (default executor):")
    for name, v in d.items():
        print(f"  {name:<10} {v['params']:>7,} params  test {100 * v['test_score']:.2f} ± {100 * v['test_std']:.2f} %"
              f"  {'kept' if v['kept'] else 'rejected'}  {v['seconds']:.1f} s of training")
    print("\nas Markdown (the README's table):")
    print(markdown({"cores": cores, "target_s": TARGET_S, "rows": rows}))
    out = HERE / "results" / "ladder_runs.json"
    out.write_text(json.dumps({"cores": cores, "target_s": TARGET_S, "rows": rows}, indent=2) + "\n")
    print(f"wrote {out.relative_to(HERE.parent)}")


def markdown(result: dict) -> str:
    """The README's table: each run's wall time against the target, its training time, what it
    recommends and its test score, and whether digits' executors agree with the defaults."""
    lines = ["| data | options | runs on | wall | of " + f"{result['target_s']:g} s"
             + " | training (all jobs) | recommended | its test score | same numbers as the defaults |",
             "| --- | --- | --- | ---: | ---: | ---: | --- | ---: | --- |"]
    for row in result["rows"]:
        score = (f"{100 * row['test_score']:.2f} ± {100 * row['test_std']:.2f} %" if row["metric"] == "accuracy"
                 else f"MSE {row['test_score']:.4g} ± {row['test_std']:.2g}")
        same = {True: "yes", False: "no"}.get(row.get("same_numbers_as_local"), "")
        where = f"{row['executor']}, {row['workers']} worker{'s' if row['workers'] > 1 else ''}"
        options = f"`{row['options']}`" if row["options"].startswith("--") else row["options"]
        lines.append(f"| {row['data']} | {options} | {where} | {row['wall_s']:.1f} s | {100 * row['vs_target']:.0f} % | "
                     f"{row['training_s']:.1f} s | {row['recommended']} | {score} | {same} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
