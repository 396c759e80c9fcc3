"""The diagnosis fault suite over several seeds: recall on the faults and false alarms on healthy runs.

Each scenario is a small real training on CPU (tests/train/scenarios.py): six faults (the seed's
problems 1-4, dead ReLUs, saturation) and five healthy runs (MLP, CNN, LSTM, Transformer,
regression). A fault counts as found when its problem is the first diagnosis of severity warning or
above *and* that diagnosis's first prescription is the seed's first remedy; a healthy run counts as
a false alarm when it gets any diagnosis of severity warning or above.

    python benchmarks/diagnose_suite.py             # 10 seeds; prints the table, writes results/diagnose_suite.json
    python benchmarks/diagnose_suite.py --seeds 2   # quicker

Seeds 0-4 were looked at while the thresholds were set (seed 0 is the test suite's); seeds 5 and up
were not, and are reported apart as held out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TUNING_SEEDS = 5  # seeds 0-4 were looked at while the thresholds were set
# torch, archwise and the scenarios are imported in main(), so that the README renderer imports in no
# time (benchmarks/run_all.py --check, tests/test_bench_tables.py).


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    import torch

    from archwise.rules.registry import Severity
    from tests.train import scenarios as S

    torch.set_num_threads(1)
    rows = []
    for scenario in S.FAULTS + S.HEALTHY:
        for seed in range(args.seeds):
            start = time.perf_counter()
            diagnoses = scenario.run(seed).diagnose()
            seconds = time.perf_counter() - start
            serious = [d for d in diagnoses if d.severity.rank >= Severity.WARNING.rank]
            fault = scenario in S.FAULTS
            if fault:
                wanted = S.HIGH_LR_PROBLEMS if scenario.expect is None else (scenario.expect,)
                top = serious[0] if serious else None
                ok = bool(top and top.problem in wanted and top.prescriptions[0].action == scenario.first_action)
            else:
                ok = not serious
            rows.append({"scenario": scenario.name, "kind": "fault" if fault else "healthy", "seed": seed,
                         "ok": ok, "seconds": seconds,
                         "diagnoses": [f"{d.severity.value}:{d.problem}" for d in diagnoses],
                         "first_action": serious[0].prescriptions[0].action if serious else None})
            print(f"| {scenario.name} | {seed} | {'ok' if ok else 'MISS' if fault else 'FALSE ALARM'} | "
                  f"{', '.join(rows[-1]['diagnoses']) or '-'} | {seconds:.1f} s |", flush=True)
    summary = {"seeds": args.seeds, "torch": torch.__version__,
               "all": _summarise(rows),
               "tuning_seeds_0_4": _summarise([r for r in rows if r["seed"] < TUNING_SEEDS]),
               "held_out_seeds_5_up": _summarise([r for r in rows if r["seed"] >= TUNING_SEEDS])}
    print()
    for key in ("tuning_seeds_0_4", "held_out_seeds_5_up", "all"):
        part = summary[key]
        if not part["fault_runs"]:
            continue
        print(f"{key}: recall {part['found']}/{part['fault_runs']} ({100 * part['recall']:.0f}%), false alarms "
              f"{part['false_alarms']}/{part['healthy_runs']} ({100 * part['false_alarm_rate']:.0f}%); "
              + ", ".join(f"{k} {v}" for k, v in part["per_scenario"].items()))
    out = HERE / "results" / "diagnose_suite.json"
    out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2) + "\n")
    print()
    print(markdown({"summary": summary}))


def markdown(result: dict) -> str:
    """The README's table: recall on the faults and false alarms on healthy runs, for the seeds looked
    at while the thresholds were set, the held-out seeds, and all."""
    seeds = result["summary"]["seeds"]

    def span(first: int, last: int) -> str:
        return f"{first}" if first == last else f"{first}–{last}"

    parts = [("tuning_seeds_0_4", f"{span(0, min(seeds, TUNING_SEEDS) - 1)} (looked at while setting the thresholds)"),
             ("held_out_seeds_5_up", f"{span(TUNING_SEEDS, seeds - 1)} (held out)"), ("all", "all")]
    lines = ["| seeds | faults found (recall) | healthy runs with a warning (false alarms) |", "| --- | --- | --- |"]
    for key, label in parts:
        p = result["summary"][key]
        if not p["fault_runs"] and not p["healthy_runs"]:
            continue
        recall = f"{p['found']}/{p['fault_runs']}" + (f" ({100 * p['recall']:.0f} %)" if p["fault_runs"] else "")
        alarms = f"{p['false_alarms']}/{p['healthy_runs']}" + (
            f" ({100 * p['false_alarm_rate']:.0f} %)" if p["healthy_runs"] else "")
        lines.append(f"| {label} | {recall} | {alarms} |")
    return "\n".join(lines)


def _summarise(rows: list[dict]) -> dict:
    faults = [r for r in rows if r["kind"] == "fault"]
    healthy = [r for r in rows if r["kind"] == "healthy"]
    per: dict[str, list[bool]] = {}
    for r in rows:
        per.setdefault(r["scenario"], []).append(r["ok"])
    return {"fault_runs": len(faults), "found": sum(r["ok"] for r in faults),
            "recall": sum(r["ok"] for r in faults) / len(faults) if faults else None,
            "healthy_runs": len(healthy), "false_alarms": sum(not r["ok"] for r in healthy),
            "false_alarm_rate": sum(not r["ok"] for r in healthy) / len(healthy) if healthy else None,
            "per_scenario": {k: f"{sum(v)}/{len(v)}" for k, v in per.items()}}


if __name__ == "__main__":
    main()
