"""``archwise check`` on the ``transformers`` reference models (with the problems they were built for)
and on the seed's anti-pattern examples: what it finds, and how long it takes.

    python benchmarks/check_reference_models.py      # prints two tables, writes results/check_reference_models.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import archwise  # noqa: E402
from tests.rules.fixtures import ANTI_PATTERNS  # noqa: E402
from tests.rules.test_reference_models import CASES  # noqa: E402

SEED_NAMES = {1: "state of the art, so I'll use it", 2: "more layers = better", 3: "deeper + narrower = efficient",
              4: "ignore constraints, optimize later", 5: "hyperparameters will fix it"}


def timed(build, inputs, spec, **extra):
    model = build()
    start = time.perf_counter()
    report = archwise.check_report(model, inputs, spec, archwise.CheckConfig(), **extra)
    return report, time.perf_counter() - start


def main() -> None:
    rows = []
    for name, (build, inputs, spec, _) in CASES.items():
        report, seconds = timed(build, inputs, spec)
        rows.append({"model": name, "inputs": list(report.inputs), "spec": report.spec.to_dict(),
                     "findings": [{"code": f.code, "severity": f.severity.value} for f in report.findings],
                     "seconds": seconds})
    print("| model | spec | errors | warnings | info | time |")
    print("|---|---|---:|---|---|---:|")
    for r in rows:
        s = r["spec"]
        spec = ", ".join(x for x in (s["modality"], f"{s['samples']:,} samples" if s["samples"] else "",
                                      s["device"] or "", f"batch {s['batch_size']}" if s["batch_size"] else "",
                                      f"{s['latency_budget'] * 1e3:g} ms" if s["latency_budget"] else "") if x)
        by = lambda level: ", ".join(f["code"] for f in r["findings"] if f["severity"] == level) or "—"  # noqa: E731
        print(f"| {r['model']} | {spec} | {by('error')} | {by('warning')} | {by('info')} | {r['seconds']:.1f} s |")
    seed = []
    for number, (code, wrong, right) in sorted(ANTI_PATTERNS.items()):
        bad, t_bad = timed(wrong.build, wrong.inputs, wrong.spec)
        good, t_good = timed(right.build, right.inputs, right.spec)
        seed.append({"anti_pattern": number, "expected": code, "wrong": [f.code for f in bad.findings],
                     "right": [f.code for f in good.findings], "seconds": t_bad + t_good})
    print()
    print("| seed anti-pattern | expected rule | fired on \"Wrong\" | findings on \"Right\" |")
    print("|---|---|---|---|")
    for s in seed:
        print(f"| {s['anti_pattern']}. {SEED_NAMES[s['anti_pattern']]} | {s['expected']} | {', '.join(s['wrong'])} | "
              f"{', '.join(s['right']) or 'none'} |")
    caught = sum(s["expected"] in s["wrong"] for s in seed)
    clean = sum(not s["right"] for s in seed)
    print(f"\n\"Wrong\" caught by the expected rule: {caught} of {len(seed)}; \"Right\" clean: {clean} of {len(seed)}; "
          f"reference models with an error: {sum(any(f['severity'] == 'error' for f in r['findings']) for r in rows)} "
          f"of {len(rows)}.")
    out = HERE / "results" / "check_reference_models.json"
    out.write_text(json.dumps({"reference_models": rows, "seed_anti_patterns": seed}, indent=2) + "\n")


if __name__ == "__main__":
    main()
