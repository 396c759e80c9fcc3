"""Is the digits verdict stable? ``archwise ladder digits`` run N times, half of them with a CPU-bound
process beside it (one core spinning on a 2-core machine), each in its own process with the
default options: which rung it recommends, whether the CNN is kept, and whether every score is the
same as in the first run (issue 24: the verdict moved with the machine's speed when a time cap cut
training short).

    python benchmarks/ladder_stability.py            # 10 runs, 5 of them loaded; writes results/ladder_stability.json
    python benchmarks/ladder_stability.py --runs 4
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._process import archwise_json  # noqa: E402

BURN = "import time\nend = time.time() + 900\nwhile time.time() < end: pass\n"  # bounded: ends by itself


def _numbers(report: dict) -> list:
    keep = ("name", "lr", "test_score", "test_std", "kept", "reason", "epochs")
    return [{k: r[k] for k in keep} for r in report["rungs"]]


def run(runs: int = 10) -> dict:
    """``runs`` ladders on digits, the odd-numbered ones beside a CPU-bound process."""
    rows = []
    first = None
    for i in range(runs):
        loaded = i % 2 == 1
        burner = subprocess.Popen([sys.executable, "-c", BURN]) if loaded else None
        try:
            r = archwise_json(["ladder", "digits", "--json"])
        finally:
            if burner is not None:
                burner.kill()
                burner.wait()
        rep = r["report"]
        cnn = next((x for x in rep["rungs"] if x["name"] == "resnet"), None)
        numbers = _numbers(rep)
        first = first if first is not None else numbers
        rows.append({"run": i + 1, "loaded": loaded, "wall_s": r["wall_s"], "recommended": rep["recommended"],
                     "cnn_kept": bool(cnn and cnn["kept"]), "cnn_test_score": cnn and cnn["test_score"],
                     "cnn_test_std": cnn and cnn["test_std"], "cnn_gain": cnn and cnn["gain"],
                     "cnn_noise": cnn and cnn["noise"], "compared_with": cnn and cnn["compared_with"],
                     "skipped": [s["name"] for s in rep.get("skipped", [])],
                     "same_numbers_as_run_1": numbers == first})
    return {"cores": len(os.sched_getaffinity(0)), "runs": rows,
            "cnn_kept": sum(r["cnn_kept"] for r in rows), "same_numbers": sum(r["same_numbers_as_run_1"] for r in rows)}


def markdown(result: dict) -> str:
    """The README's table: one row for the quiet runs and one for the loaded ones."""
    lines = ["| runs | beside them | CNN kept | recommended | CNN test accuracy | its gain over | gain / noise | "
             "same scores as run 1 | wall (median) |",
             "| ---: | --- | ---: | --- | ---: | --- | ---: | ---: | ---: |"]
    for loaded in (False, True):
        rows = [r for r in result["runs"] if r["loaded"] == loaded]
        if not rows:
            continue
        walls = sorted(r["wall_s"] for r in rows)
        picks = sorted({r["recommended"] for r in rows})
        kept = [r for r in rows if r["cnn_kept"]]
        ref = kept[0] if kept else rows[0]
        score = (f"{100 * ref['cnn_test_score']:.2f} ± {100 * ref['cnn_test_std']:.2f} %"
                 if ref["cnn_test_score"] is not None else "not run")
        ratio = f"{ref['cnn_gain'] / ref['cnn_noise']:.1f}" if ref["cnn_noise"] else ""
        lines.append(f"| {len(rows)} | {'a CPU-bound process' if loaded else 'nothing'} | {len(kept)} of {len(rows)} | "
                     f"{', '.join(picks)} | {score} | {ref['compared_with'] or ''} | {ratio} | "
                     f"{sum(r['same_numbers_as_run_1'] for r in rows)} of {len(rows)} | {walls[len(walls) // 2]:.1f} s |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    result = run(args.runs)
    for r in result["runs"]:
        print(f"run {r['run']:>2} {'loaded' if r['loaded'] else 'quiet ':<7} {r['wall_s']:6.1f} s  "
              f"recommended {r['recommended']:<10} CNN kept: {r['cnn_kept']}  same scores: {r['same_numbers_as_run_1']}")
    print(f"\nCNN kept in {result['cnn_kept']} of {len(result['runs'])}; same scores in {result['same_numbers']}")
    print("\nas Markdown (the README's table):")
    print(markdown(result))
    out = HERE / "results" / "ladder_stability.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
