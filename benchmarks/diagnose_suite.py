"""The diagnosis fault suite over several seeds: recall on the faults and false alarms on healthy runs.

Each scenario is a small real training on CPU (tests/train/scenarios.py): six faults (the seed's
problems 1-4, dead ReLUs, saturation) and five healthy runs (MLP, CNN, LSTM, Transformer,
regression). A fault counts as found when its problem is the first diagnosis of severity warning or
above *and* that diagnosis's first prescription is the seed's first remedy; a healthy run counts as
a false alarm when it gets any diagnosis of severity warning or above.

    python benchmarks/diagnose_suite.py             # 5 seeds; prints the table, writes results/diagnose_suite.json
    python benchmarks/diagnose_suite.py --seeds 2   # quicker
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import torch  # noqa: E402

from archwise.rules.registry import Severity  # noqa: E402
from tests.train import scenarios as S  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
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
    faults = [r for r in rows if r["kind"] == "fault"]
    healthy = [r for r in rows if r["kind"] == "healthy"]
    per = {}
    for r in rows:
        per.setdefault(r["scenario"], []).append(r["ok"])
    summary = {"seeds": args.seeds, "fault_runs": len(faults), "found": sum(r["ok"] for r in faults),
               "recall": sum(r["ok"] for r in faults) / len(faults), "healthy_runs": len(healthy),
               "false_alarms": sum(not r["ok"] for r in healthy),
               "false_alarm_rate": sum(not r["ok"] for r in healthy) / len(healthy),
               "per_scenario": {k: f"{sum(v)}/{len(v)}" for k, v in per.items()},
               "torch": torch.__version__}
    print(f"\nrecall {summary['found']}/{summary['fault_runs']} ({100 * summary['recall']:.0f}%), false alarms "
          f"{summary['false_alarms']}/{summary['healthy_runs']} ({100 * summary['false_alarm_rate']:.0f}%) over "
          f"{args.seeds} seeds")
    print("per scenario: " + ", ".join(f"{k} {v}" for k, v in summary["per_scenario"].items()))
    out = HERE / "results" / "diagnose_suite.json"
    out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
