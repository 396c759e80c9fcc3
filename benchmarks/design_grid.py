"""``archwise design`` over the self-consistency grid (modalities × data sizes × devices × latency
budgets): what it picks, how long it takes, and whether every claim holds when the model is rebuilt,
profiled and checked again.

    python benchmarks/design_grid.py       # prints the table, writes results/design_grid.json
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import archwise  # noqa: E402
from tests.design.grid import grid, label, verify  # noqa: E402


def main() -> None:
    rows = []
    archwise.design(archwise.ProblemSpec("tabular", input=4, samples=200, outputs=2))  # warm-up: imports, caches
    for spec in grid():
        start = time.perf_counter()
        rec = archwise.design(spec)
        seconds = time.perf_counter() - start
        problems = verify(rec)
        rows.append({"spec": label(spec), "family": rec.family, "architecture": rec.architecture,
                     "params": rec.params, "binding": rec.binding_constraint, "fits": rec.fits,
                     "evaluated": rec.evaluated, "seconds": seconds, "problems": problems})
        print(f"| {label(spec)} | {rec.architecture} | {rec.params:,} | {rec.binding_constraint} | "
              f"{'yes' if rec.fits else 'NO'} | {seconds:.1f} s | {'ok' if not problems else '; '.join(problems)} |",
              flush=True)
    times = [r["seconds"] for r in rows]
    summary = {"specs": len(rows), "median_s": statistics.median(times), "worst_s": max(times),
               "worst_spec": rows[times.index(max(times))]["spec"],
               "consistent": sum(1 for r in rows if not r["problems"]), "fits": sum(1 for r in rows if r["fits"]),
               "binding": {b: sum(1 for r in rows if r["binding"] == b) for b in sorted({r["binding"] for r in rows})}}
    print(f"\n{summary['specs']} specs: design median {summary['median_s']:.2f} s, worst {summary['worst_s']:.2f} s "
          f"({summary['worst_spec']}); every claim holds for {summary['consistent']}/{summary['specs']}; "
          f"fits: {summary['fits']}; binding: {summary['binding']}")
    out = HERE / "results" / "design_grid.json"
    out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
