"""Latency: the roofline prediction for this CPU against the measured time, for the zoo.

Calibrates this CPU (``archwise calibrate``), then for each model of examples/zoo.py predicts a
forward and an fp32 AdamW training step and times both for real with ``torch.utils.benchmark``
(median of three measurements, each the median of its own repeats). Because a shared machine's
speed drifts, the same 3×3 convolution is timed before every model and the spread of its rate is
reported beside the errors.

    python benchmarks/latency_vs_measured.py     # table + benchmarks/results/latency_vs_measured.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# torch, transformers and archwise are imported where a measurement needs them, so that the README
# renderer (``table``) imports in no time (benchmarks/run_all.py --check, tests/test_bench_tables.py).


def probe() -> float:
    """GFLOP/s of a fixed 3×3 convolution right now: how fast this machine is at this moment."""
    import torch
    from torch.utils import benchmark

    x, w = torch.randn(16, 32, 32, 32), torch.randn(32, 32, 3, 3)
    t = benchmark.Timer("F.conv2d(x, w, padding=1)", globals={"F": torch.nn.functional, "x": x, "w": w},
                        num_threads=torch.get_num_threads()).blocked_autorange(min_run_time=0.3).median
    return 2 * 16 * 32 * 32 * 32 * 32 * 9 / t / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "results" / "latency_vs_measured.json"))
    parser.add_argument("--render", metavar="JSON")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.render:
        print(markdown(json.loads(Path(args.render).read_text())))
        return
    import torch
    import transformers

    import archwise
    from archwise.profile.latency import calibrate, measure_model
    from examples.zoo import ZOO

    transformers.logging.set_verbosity_error()
    calibration = calibrate()
    rows, probes = [], []
    for name, (build, inputs) in ZOO.items():
        probes.append(probe())
        torch.manual_seed(0)
        model = build()
        profile = archwise.profile(model, inputs, device="cpu")
        forward, step = [], []
        for _ in range(args.repeats):
            f, s, _ = measure_model(model, inputs, train=True, optimizer="adamw", precision="fp32")
            forward.append(f)
            step.append(s)
        row = {"model": name, "predicted_forward_s": profile.latency.forward_s,
               "predicted_step_s": profile.latency.train_step_s, "measured_forward_s": statistics.median(forward),
               "measured_step_s": statistics.median(step), "measured_forward_all": forward, "measured_step_all": step,
               "compute_bound_share": profile.latency.compute_bound_share}
        row["forward_error_pct"] = 100 * (row["predicted_forward_s"] / row["measured_forward_s"] - 1)
        row["step_error_pct"] = 100 * (row["predicted_step_s"] / row["measured_step_s"] - 1)
        rows.append(row)
        print(f"{name:13s} forward {row['predicted_forward_s'] * 1e3:8.3f} ms vs {row['measured_forward_s'] * 1e3:8.3f} "
              f"({row['forward_error_pct']:+.1f} %)  step {row['predicted_step_s'] * 1e3:8.3f} vs "
              f"{row['measured_step_s'] * 1e3:8.3f} ({row['step_error_pct']:+.1f} %)", flush=True)
    result = {"benchmark": "latency_vs_measured", "calibration": calibration, "rows": rows,
              "conv_probe_gflops": probes, "threads": torch.get_num_threads()}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(markdown(result))


def table(result: dict) -> str:
    """The README's table: predicted against measured forward and training step, per model."""
    def ms(s: float) -> str:
        return f"{s * 1e3:,.2f} ms"

    lines = ["| model | forward predicted | measured | error | training step predicted | measured | error |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        lines.append(f"| {r['model']} | {ms(r['predicted_forward_s'])} | {ms(r['measured_forward_s'])} | "
                     f"{r['forward_error_pct']:+.1f} % | {ms(r['predicted_step_s'])} | {ms(r['measured_step_s'])} | "
                     f"{r['step_error_pct']:+.1f} % |")
    return "\n".join(lines)


def markdown(result: dict) -> str:
    """The table, and how many predictions fall within ±15 % and how much the machine's speed drifted."""
    within = [sum(abs(r["forward_error_pct"]) <= 15 for r in result["rows"]),
              sum(abs(r["step_error_pct"]) <= 15 for r in result["rows"])]
    n = len(result["rows"])
    probes = result["conv_probe_gflops"]
    return "\n".join([
        table(result), "",
        f"Within ±15 %: {within[0]} of {n} forwards, {within[1]} of {n} training steps. The same 3×3 "
        f"convolution ran at {min(probes):.0f}–{max(probes):.0f} GFLOP/s over this run "
        f"({result['threads']} threads): the machine's own speed varied by {max(probes) / min(probes):.1f}×."])

if __name__ == "__main__":
    main()
