"""Training memory: archwise's simulation, three common estimates, and the measured truth.

For each model of the zoo (examples/zoo.py), one steady-state fp32 AdamW training step is run for
real on this CPU and its peak taken from the allocator's own accounting (torch.profiler's
allocation events: ``archwise.profile.measure.measure_training_peak``). Against it:

* archwise: ``simulate_training`` (fake tensors, nothing allocated);
* torchinfo: its "Estimated Total Size" (inputs + forward/backward pass size + parameters);
* accelerate: ``accelerate estimate-memory``'s "Training using Adam" arithmetic
  (``estimate_training_usage``: the largest of model, gradients, 2× optimizer and a 4× "step");
* the seed: params × 4 bytes × 4 (weights, gradients, two Adam moments) plus its activation term,
  batch × (the feature map entering the last weighted layer) × 4 bytes.

    python benchmarks/memory_vs_anchors.py     # table + benchmarks/results/memory_vs_anchors.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TOOLS = ["archwise", "torchinfo", "accelerate", "seed formula"]
# torch, transformers and archwise are imported where a measurement needs them, so that the README
# renderer (``markdown``) imports in no time (benchmarks/run_all.py --check, tests/test_bench_tables.py).


def real_tensors(inputs: list) -> list[torch.Tensor]:
    import torch

    from archwise.spec import InputSpec, normalize_inputs

    args, _ = normalize_inputs(inputs)
    g = torch.Generator().manual_seed(0)
    return [a.real(g) if isinstance(a, InputSpec) else a for a in args]


def torchinfo_estimate(model: torch.nn.Module, inputs: list) -> int:
    import torchinfo

    stats = torchinfo.summary(model, input_data=real_tensors(inputs), verbose=0)
    return int(stats.total_input + stats.total_output_bytes + stats.total_param_bytes)


def accelerate_estimate(model: torch.nn.Module) -> int:
    from accelerate.commands.estimate import estimate_training_usage
    from accelerate.utils import calculate_maximum_sizes

    total, _ = calculate_maximum_sizes(model)
    return int(max(estimate_training_usage(total, "float32").values()))


def seed_estimate(model: torch.nn.Module, inputs: list) -> int:
    import torch

    import archwise

    params = sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
    profile = archwise.profile(model, inputs, backward=False)
    last = profile.structure.weighted_layers[-1].path if profile.structure.weighted_layers else ""
    captured: list[int] = []
    module = dict(model.named_modules())[last]
    handle = module.register_forward_pre_hook(lambda m, args: captured.append(args[0].numel()))
    try:
        with torch.no_grad():
            model(*real_tensors(inputs))
    finally:
        handle.remove()
    return 16 * params + 4 * (captured[0] if captured else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "results" / "memory_vs_anchors.json"))
    parser.add_argument("--render", metavar="JSON")
    args = parser.parse_args()
    if args.render:
        print(markdown(json.loads(Path(args.render).read_text())))
        return
    import torch
    import transformers

    import archwise
    from archwise.profile.measure import measure_training_peak
    from examples.zoo import ZOO

    transformers.logging.set_verbosity_error()
    rows = []
    for name, (build, inputs) in ZOO.items():
        torch.manual_seed(0)
        model = build()
        measured = measure_training_peak(model, inputs, optimizer="adamw")
        start = time.perf_counter()
        simulated = archwise.simulate_training(model, inputs, optimizer="adamw")
        elapsed = time.perf_counter() - start
        row = {"model": name, "inputs": [str(i) if not isinstance(i, torch.Tensor) else "x".join(map(str, i.shape))
                                         for i in inputs],
               "measured": measured, "archwise": simulated.peak_bytes, "archwise_s": elapsed,
               "breakdown": simulated.parts(), "peak_phase": simulated.peak_phase}
        for tool, fn in (("torchinfo", lambda: torchinfo_estimate(model, inputs)),
                         ("accelerate", lambda: accelerate_estimate(model)),
                         ("seed formula", lambda: seed_estimate(model, inputs))):
            try:
                row[tool] = fn()
            except Exception as err:  # an anchor that cannot handle the model is a result too
                row[tool] = None
                row[f"{tool}_error"] = f"{type(err).__name__}: {str(err).splitlines()[0][:80]}"
        rows.append(row)
        print(f"{name:13s} measured {measured:>12,}  " + "  ".join(
            f"{t} {row[t]:>12,} ({100 * (row[t] - measured) / measured:+.1f}%)" if row[t] else f"{t} failed"
            for t in TOOLS), flush=True)
    result = {"benchmark": "memory_vs_anchors", "optimizer": "adamw", "precision": "fp32",
              "machine": {"python": platform.python_version(), "torch": torch.__version__}, "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(markdown(result))


def markdown(result: dict) -> str:
    def mib(n: int) -> str:
        return f"{n / 2**20:,.2f} MiB"

    lines = ["| model | measured peak | " + " | ".join(TOOLS) + " |", "|---|---:|" + "---:|" * len(TOOLS)]
    errors = {t: [] for t in TOOLS}
    for r in result["rows"]:
        cells = []
        for t in TOOLS:
            if r.get(t) is None:
                cells.append("failed")
                continue
            err = 100 * (r[t] - r["measured"]) / r["measured"]
            errors[t].append(abs(err))
            cells.append(f"{mib(r[t])} ({err:+.1f} %)")
        lines.append(f"| {r['model']} | {mib(r['measured'])} | " + " | ".join(cells) + " |")
    lines.append("| **median absolute error** | | " + " | ".join(
        f"**{sorted(e)[len(e) // 2]:.1f} %**" if e else "—" for e in errors.values()) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
