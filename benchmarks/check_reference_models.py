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

SEED_NAMES = {1: "state of the art, so I'll use it", 2: "more layers = better", 3: "deeper + narrower = efficient",
              4: "ignore constraints, optimize later", 5: "hyperparameters will fix it"}
# archwise and the test fixtures are imported in main(), so that the README renderers import in no
# time (benchmarks/run_all.py --check, tests/test_bench_tables.py).


def timed(build, inputs, spec, **extra):
    import archwise

    model = build()
    start = time.perf_counter()
    report = archwise.check_report(model, inputs, spec, archwise.CheckConfig(), **extra)
    return report, time.perf_counter() - start


def models_table(result: dict) -> str:
    """The README's table of the reference models: their spec, findings by severity, and time."""
    lines = ["| model | spec | errors | warnings | info | time |", "|---|---|---:|---|---|---:|"]
    for r in result["reference_models"]:
        s = r["spec"]
        spec = ", ".join(x for x in (s["modality"], f"{s['samples']:,} samples" if s["samples"] else "",
                                      s["device"] or "", f"batch {s['batch_size']}" if s["batch_size"] else "",
                                      f"{s['latency_budget'] * 1e3:g} ms" if s["latency_budget"] else "") if x)
        by = lambda level: ", ".join(f["code"] for f in r["findings"] if f["severity"] == level) or "—"  # noqa: E731
        lines.append(f"| {r['model']} | {spec} | {by('error')} | {by('warning')} | {by('info')} | "
                     f"{r['seconds']:.1f} s |")
    return "\n".join(lines)


def anti_patterns_table(result: dict) -> str:
    """The README's table of the seed's anti-patterns: the rule expected, what fired on "Wrong" and on "Right"."""
    lines = ["| seed anti-pattern | expected rule | fired on \"Wrong\" | findings on \"Right\" |", "|---|---|---|---|"]
    for s in result["seed_anti_patterns"]:
        name = SEED_NAMES.get(s["anti_pattern"], "")
        lines.append(f"| {s['anti_pattern']}. {name} | {s['expected']} | {', '.join(s['wrong']) or 'none'} | "
                     f"{', '.join(s['right']) or 'none'} |")
    return "\n".join(lines)


def summary(result: dict) -> str:
    rows, seed = result["reference_models"], result["seed_anti_patterns"]
    caught = sum(s["expected"] in s["wrong"] for s in seed)
    clean = sum(not s["right"] for s in seed)
    errors = sum(any(f["severity"] == "error" for f in r["findings"]) for r in rows)
    return (f"\"Wrong\" caught by the expected rule: {caught} of {len(seed)}; \"Right\" clean: {clean} of {len(seed)}; "
            f"reference models with an error: {errors} of {len(rows)}.")


def markdown(result: dict) -> str:
    return "\n\n".join([models_table(result), anti_patterns_table(result), summary(result)])


def main() -> None:
    from tests.rules.fixtures import ANTI_PATTERNS
    from tests.rules.test_reference_models import CASES

    rows = []
    for name, (build, inputs, spec, _) in CASES.items():
        report, seconds = timed(build, inputs, spec)
        rows.append({"model": name, "inputs": list(report.inputs), "spec": report.spec.to_dict(),
                     "findings": [{"code": f.code, "severity": f.severity.value} for f in report.findings],
                     "seconds": seconds})
        print(f"{name}: {', '.join(f['code'] for f in rows[-1]['findings']) or 'no findings'} ({seconds:.1f} s)",
              flush=True)
    seed = []
    for number, (code, wrong, right) in sorted(ANTI_PATTERNS.items()):
        bad, t_bad = timed(wrong.build, wrong.inputs, wrong.spec)
        good, t_good = timed(right.build, right.inputs, right.spec)
        seed.append({"anti_pattern": number, "expected": code, "wrong": [f.code for f in bad.findings],
                     "right": [f.code for f in good.findings], "seconds": t_bad + t_good})
    result = {"reference_models": rows, "seed_anti_patterns": seed}
    out = HERE / "results" / "check_reference_models.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(markdown(result))


if __name__ == "__main__":
    main()
