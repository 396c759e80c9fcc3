"""The self-consistency grid: modalities × data sizes × devices × latency budgets.

``tests/design/test_design.py`` runs a slice of it by default and all of it with ``-m slow``;
``benchmarks/design_grid.py`` runs all of it, times ``design`` per spec and writes the table.
"""

from __future__ import annotations

from itertools import product

from archwise import ProblemSpec


def grid() -> list[ProblemSpec]:
    specs: list[ProblemSpec] = []
    for samples, device, budget in product((5_000, 50_000, 500_000), ("t4", "a100-40gb", "phone-cpu"), (None, "20ms")):
        specs.append(ProblemSpec("image", input="3x32x32", samples=samples, outputs=10, device=device,
                                 latency_budget=budget, batch_size=128))
    for samples, device, budget in product((100_000, 1_200_000, 15_000_000), ("a100-80gb", "jetson-orin"), (None, "50ms")):
        specs.append(ProblemSpec("image", input="3x224x224", samples=samples, outputs=1000, device=device,
                                 latency_budget=budget, batch_size=64, precision="bf16-mixed"))
    specs.append(ProblemSpec("image", input="1x28x28", samples=60_000, outputs=10, memory="2GB", batch_size=256))
    specs.append(ProblemSpec("image", input="3x224x224", samples=1_200_000, outputs=1000, memory="3GB",
                             batch_size=128))  # memory binds
    specs.append(ProblemSpec("image", input="3x32x32", samples=50_000, outputs=10, device="t4",
                             latency_budget="1us"))  # nothing fits: the closest candidate and what to relax
    for samples, device, budget in product((10_000, 1_000_000), ("a100-40gb", "phone-cpu"), (None, "5ms")):
        specs.append(ProblemSpec("text", input=30_000, seq_len=512, samples=samples, outputs=2, device=device,
                                 latency_budget=budget, batch_size=8))
    for samples, device, budget in product((2_000, 100_000), ("t4", "phone-cpu"), (None, "5ms")):
        specs.append(ProblemSpec("timeseries", input=8, seq_len=48, samples=samples, outputs=1, task="regression",
                                 device=device, latency_budget=budget, batch_size=64))
    specs.append(ProblemSpec("sequence", input=4, seq_len=8_000, samples=5_000, outputs=5, device="h100-sxm",
                             batch_size=8))
    for device in ("t4", "phone-cpu"):
        specs.append(ProblemSpec("graph", input=1433, samples=140, nodes=2708, edges=10556, outputs=7, device=device))
        specs.append(ProblemSpec("graph", input=500, samples=60, nodes=19717, edges=88648, outputs=3, device=device,
                                 latency_budget="50ms"))
    for samples, device, budget in product((500, 20_000, 500_000), ("t4", "phone-cpu"), (None, "1ms")):
        specs.append(ProblemSpec("tabular", input=20, samples=samples, outputs=2, device=device,
                                 latency_budget=budget, batch_size=256))
    return specs


def label(spec: ProblemSpec) -> str:
    where = spec.device or (f"{spec.memory >> 30}GB" if spec.memory else "-")
    budget = f"{float(spec.latency_budget) * 1e3:g}ms" if spec.latency_budget is not None else "-"
    shape = "x".join(map(str, spec.input))
    seq = f"@{spec.seq_len}" if spec.seq_len else ""
    return f"{spec.kind.value}:{shape}{seq}:{spec.samples}:{where}:{budget}"


def verify(rec) -> list[str]:  # noqa: ANN001
    """Rebuild the recommended model, profile and check it again with the same spec, and list every
    claim that does not hold: a budget it said was met, its parameter count, or a check error."""
    import torch

    import archwise

    problems = []
    with torch.device("meta"):
        model = rec.build()
    params = sum(p.numel() for p in model.parameters())
    if params != rec.params:
        problems.append(f"built model has {params:,} params, the recommendation says {rec.params:,}")
    spec = rec.spec.with_(batch_size=rec.batch_size) if rec.spec.kind.value != "graph" else rec.spec
    report = archwise.check_report(model, rec.inputs(1), spec, archwise.CheckConfig())
    # A budget the recommendation says it misses (no candidate fits) is no broken claim.
    missed = {"AW501" for c in rec.constraints if c.name == "training_memory" and not c.ok}
    missed |= {"AW502" for c in rec.constraints if c.name == "latency" and not c.ok}
    errors = [f"{f.code}: {f.message}" for f in report.findings if f.severity.value == "error" and f.code not in missed]
    problems += [f"check error {e}" for e in errors]
    for c in rec.constraints:
        if not c.ok:
            continue
        if c.name == "training_memory":
            fit = archwise.fit(model, rec.inputs(rec.batch_size), device=spec.device, memory=spec.memory,
                               optimizer=spec.optimizer, precision=spec.precision, search_batch=False)
            if not fit.fits or abs(fit.required_bytes - c.value) > 1e-3 * c.value:
                problems.append(f"memory: claimed {c.value:,} B fits, re-simulated {fit.required_bytes:,} B "
                                f"of {fit.usable_bytes:,}")
        elif c.name == "latency":
            again = archwise.profile(model, rec.inputs(1), device=spec.device or "cpu", precision=spec.precision,
                                     search_batch=False).latency
            if again is None or again.forward_s > c.limit or abs(again.forward_s - c.value) > 1e-12:
                problems.append(f"latency: claimed {c.value * 1e3:.3g} ms within {c.limit * 1e3:g} ms, predicted "
                                f"again {again.forward_s * 1e3 if again else float('nan'):.3g} ms")
        elif c.name == "capacity":
            low, high = c.limit
            if rec.family != "linear" and not low <= params <= high:
                problems.append(f"capacity: {params:,} params outside [{low:,.0f}, {high:,.0f}]")
    return problems
