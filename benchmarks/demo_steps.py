"""`make demo`'s script, timed: each step's seconds (from the timings the script writes) and the whole
run's wall time against the 2-minute target, on this machine; writes benchmarks/results/demo_steps.json.

    python benchmarks/demo_steps.py            # one run (about 80 s)
    python benchmarks/demo_steps.py --runs 3   # the median run of three

The installation is not timed (`make demo` on a fresh clone adds the venv and pip install once).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_S = 120.0
WHAT = {"design": "archwise design (digits' problem on a T4)", "ladder": "archwise ladder digits (4 rungs × 3 seeds)",
        "profile": "archwise profile of the pick (--train --device t4 --gpus 4 --measure)",
        "check": "archwise check of the pick", "monitor": "examples/train_recommended.py (15 epochs, Monitor)",
        "report": "archwise report (5 sections, HTML)"}


def one_run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo"
        env = {**os.environ, "ARCHWISE_DEMO_OUT": str(out),
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        start = time.perf_counter()
        run = subprocess.run(["bash", str(ROOT / "examples" / "demo.sh")], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if run.returncode != 0:
            raise SystemExit(f"demo.sh failed ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
        steps = [(name, float(sec)) for name, sec in
                 (line.split("\t") for line in (out / "timings.tsv").read_text().splitlines() if line)]
        report = out / "report.html"
        sections = len(re.findall(r'<section class="report', report.read_text()))
        return {"wall_s": wall, "steps": [{"step": n, "seconds": s} for n, s in steps],
                "report_bytes": report.stat().st_size, "sections": sections}


def markdown(result: dict) -> str:
    """The README's table: each step's seconds and share, the steps' sum, and the whole run's wall time."""
    run = result["run"]
    steps_total = sum(s["seconds"] for s in run["steps"])
    lines = ["| step | what | seconds | share |", "| --- | --- | ---: | ---: |"]
    for s in run["steps"]:
        lines.append(f"| {s['step']} | {WHAT.get(s['step'], s['step'])} | {s['seconds']:.1f} | "
                     f"{100 * s['seconds'] / steps_total:.0f} % |")
    lines.append(f"| **all steps** | | **{steps_total:.1f}** | **100 %** |")
    lines.append(f"| **make demo's script, wall** | against the {result['target_s']:.0f} s target: "
                 f"{100 * run['wall_s'] / result['target_s']:.0f} % | **{run['wall_s']:.1f}** | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    median = statistics.median(r["wall_s"] for r in runs)
    chosen = min(runs, key=lambda r: abs(r["wall_s"] - median))
    result = {"target_s": TARGET_S, "runs": len(runs), "walls_s": [r["wall_s"] for r in runs], "run": chosen,
              "cores": os.cpu_count()}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "demo_steps.json").write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    print(f"\nreport: {chosen['sections']} sections, {chosen['report_bytes'] / 1024:,.0f} KiB; "
          f"wrote benchmarks/results/demo_steps.json")


if __name__ == "__main__":
    main()
