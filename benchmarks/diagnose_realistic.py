"""The realistic fault suite (tests/train/realistic.py): recall, right first prescriptions and false alarms.

Each case is a small real training on CPU as a new user's failed (or alarming but fine) run looks,
about a third through the archwise Lightning callback. For every run:

* a fault (``expect`` non-empty) is FOUND when any diagnosis of severity warning or above names a
  problem in ``expect``; its FIRST PRESCRIPTION is right when the first such diagnosis names a
  problem in ``expect`` and its first prescription's action is ``first_action``;
* a healthy or noise run is a FALSE ALARM when it gets any diagnosis of severity warning or above;
* a numerics case with ``expect == ()`` (large but finite weights) is a FALSE ALARM when any
  diagnosis, of any severity, is ``non_finite``.

The tuned part is seed 0 of the cases not marked held out; the held-out part is every case marked
``held_out`` and every seed from 1 up; the fresh part is round 3 (written after round 2's thresholds);
the blind part is round 4 (written without reading the detectors or any result); the blind5 part is
round 5 (written blind in the same way, on other data, architectures and optimizers); the blind6 part is
round 6 (written blind again, on other data, architectures, optimizers and bugs).

    python benchmarks/diagnose_realistic.py                 # 3 seeds; writes results/diagnose_realistic.json
    python benchmarks/diagnose_realistic.py --seeds 1       # one seed (about 1-2 minutes)
    python benchmarks/diagnose_realistic.py --only softmax_ce_digits
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# torch, archwise and the cases are imported in main(), so that markdown() imports nothing heavy.

PARTS = ("tuned", "held_out", "fresh", "blind", "blind5", "blind6", "all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", action="append", help="run only this case (repeatable)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "diagnose_realistic.json")
    args = parser.parse_args()
    import warnings

    import torch

    from archwise.rules.registry import Severity
    from tests.train import realistic as R

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    cases = R.CASES
    if args.only:
        unknown = [n for n in args.only if n not in R.BY_NAME]
        if unknown:
            parser.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(R.BY_NAME)}")
        cases = [R.BY_NAME[n] for n in args.only]
    rows = []
    for case in cases:
        for seed in range(args.seeds):
            rows.append(_run(case, seed, Severity))
            r = rows[-1]
            verdict = (r["error"] and "ERROR") or ("fault not produced (left out)" if r["kind"] == "not_produced" else
                                                   None) or (
                ("found" if r["found"] else "MISSED") + (", first ok" if r["right_first"] else ", first WRONG")
                if r["kind"] == "fault" else ("FALSE ALARM" if r["false_alarm"] else "quiet"))
            print(f"| {case.name} | {case.cls} | {case.loop} | {seed} | {verdict} | "
                  f"{', '.join(f'{p}→{a}' for p, a in r['serious']) or '-'} | {r['seconds']:.1f} s |", flush=True)
    result = {"summary": summarise(rows, args.seeds, torch.__version__), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=_jsonable) + "\n")
    print()
    print(markdown(result))
    print(f"\nwrote {args.out}")


def _run(case, seed: int, Severity) -> dict:
    start = time.perf_counter()
    error = None
    diagnoses = []
    truth = None
    try:
        mon = case.run(seed)
        diagnoses = mon.diagnose()
        truth = getattr(mon, "truth", None)
    except Exception as err:  # a case that crashes is reported, not fatal to the suite
        error = f"{type(err).__name__}: {err}"
    seconds = time.perf_counter() - start
    serious = [d for d in diagnoses if d.severity.rank >= Severity.WARNING.rank]
    pairs = [(d.problem, d.prescriptions[0].action if d.prescriptions else None) for d in serious]
    kind = "fault" if case.expect else ("guard" if case.cls not in ("healthy", "noise") else "quiet")
    if kind == "fault" and (truth or {}).get("present") is False:
        kind = "not_produced"  # measured outside the monitor: this seed's run does not have the fault
    part = ("blind6" if case.round == 6 else "blind5" if case.round == 5 else "blind" if case.blind
            else "fresh" if case.fresh else "held_out" if (case.held_out or seed >= 1) else "tuned")
    row = {"case": case.name, "cls": case.cls, "loop": case.loop, "seed": seed, "kind": kind,
           "part": part, "seconds": seconds, "error": error,
           "serious": pairs, "all": [f"{d.severity.value}:{d.problem}" for d in diagnoses],
           "expect": list(case.expect), "first_action": case.first_action, "truth": truth,
           "found": None, "right_first": None, "false_alarm": None}
    if kind == "fault":
        row["found"] = error is None and any(p in case.expect for p, _ in pairs)
        row["right_first"] = bool(error is None and pairs and pairs[0][0] in case.expect
                                  and pairs[0][1] == case.first_action)
    elif kind == "guard":
        row["false_alarm"] = error is not None or any(d.problem == "non_finite" for d in diagnoses)
    else:
        row["false_alarm"] = error is not None or bool(pairs)
    return row


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return str(value)


def _part(rows: list[dict]) -> dict:
    faults = [r for r in rows if r["kind"] == "fault"]
    quiet = [r for r in rows if r["kind"] in ("quiet", "guard")]
    n, q = len(faults), len(quiet)
    found = sum(bool(r["found"]) for r in faults)
    first = sum(bool(r["right_first"]) for r in faults)
    alarms = sum(bool(r["false_alarm"]) for r in quiet)
    return {"fault_runs": n, "found": found, "recall": found / n if n else None,
            "right_first": first, "right_first_rate": first / n if n else None,
            "quiet_runs": q, "false_alarms": alarms, "false_alarm_rate": alarms / q if q else None,
            "errors": sum(r["error"] is not None for r in rows),
            "not_produced": sum(r["kind"] == "not_produced" for r in rows)}


def summarise(rows: list[dict], seeds: int, torch_version: str = "") -> dict:
    classes = sorted({r["cls"] for r in rows}, key=lambda c: (c == "healthy", c))
    out: dict = {"seeds": seeds, "torch": torch_version, "runs": len(rows), "parts": {}}
    for part in PARTS:
        sel = [r for r in rows if part == "all" or r["part"] == part]
        out["parts"][part] = {"overall": _part(sel), "per_class": {c: _part([r for r in sel if r["cls"] == c])
                                                                   for c in classes},
                              "per_loop": {lp: _part([r for r in sel if r["loop"] == lp])
                                           for lp in ("plain", "lightning")}}
    return out


def markdown(result: dict) -> str:
    """The summary table: per class, for the tuned and held-out parts, recall / right first
    prescription on the faults and false alarms on the healthy, noise and guard runs."""
    s = result["summary"]

    def cell(p: dict, key: str, n_key: str, rate: str) -> str:
        if not p[n_key]:
            return "–"
        return f"{p[key]:g}/{p[n_key]:g} ({100 * p[key] / p[n_key]:.0f} %)"  # the rate from the counts shown

    lines = [f"| part ({s['seeds']:g} seeds, {s['runs']:g} runs) | class | faults found (recall) | "
             "right first prescription | false alarms |",
             "| --- | --- | --- | --- | --- |"]
    for part in PARTS:
        block = s["parts"].get(part)
        if not block or not (block["overall"]["fault_runs"] or block["overall"]["quiet_runs"]):
            continue
        for cls, p in [*block["per_class"].items(), ("**overall**", block["overall"])]:
            if not (p["fault_runs"] or p["quiet_runs"]):
                continue
            lines.append(f"| {part} | {cls} | {cell(p, 'found', 'fault_runs', 'recall')} | "
                         f"{cell(p, 'right_first', 'fault_runs', 'right_first_rate')} | "
                         f"{cell(p, 'false_alarms', 'quiet_runs', 'false_alarm_rate')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
