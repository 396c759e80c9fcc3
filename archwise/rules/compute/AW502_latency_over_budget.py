"""AW502 latency-over-budget."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class LatencyOverBudget(Rule):
    """
    ## What it does
    Predicts the inference latency of one forward at the input's batch on the spec's device (a
    roofline over every op, `archwise profile --device`; this machine's CPU after `archwise
    calibrate` when no device is named) and flags it when it exceeds the latency budget. It then
    estimates the architecture changes that would meet the budget, cheapest first, by scaling each
    layer's predicted time by the FLOPs the change removes.

    ## Why is this bad?
    The seed's "Latency Budget": ResNet-50 needs 4 GFLOPs, so on a 10 GFLOP/s phone CPU one image
    takes 0.4 s and fails a 100 ms budget, while MobileNetV2 (0.3 GFLOPs) takes 30 ms and passes.
    A model that misses its budget cannot ship, however accurate.

    ## Example
    ```python
    archwise check hf:ResNetForImageClassification --input 1x3x224x224 --device phone-cpu --latency-budget 100ms
    ```

    ## Use instead
    ```python
    archwise check hf:MobileNetV2ForImageClassification --input 1x3x224x224 --device phone-cpu --latency-budget 100ms
    ```

    ## Thresholds
    None: the spec's `--latency-budget` decides.

    ## References
    Seed: "Principle: Design for Compute Constraints (Latency Budget)", "Common Architectural
    Patterns: Inverted Bottleneck (MobileNetV2)".
    """

    code = "AW502"
    name = "latency-over-budget"
    principle = "Principle: Design for Compute Constraints"
    checklist = ("Respect compute constraints",)
    anti_patterns = (4,)
    severity = Severity.ERROR
    needs = ("latency_budget",)

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        assert ctx.latency_profile is not None and ctx.spec is not None
        report = ctx.latency_profile.latency
        budget = float(ctx.spec.latency_budget or 0)
        if report is None or report.forward_s <= budget:
            return
        changes = _changes(ctx, report)
        meets = [c for c in changes if c["estimated_ms"] <= budget * 1e3]
        fixes = [f"{c['change']}: estimated {c['estimated_ms']:.3g} ms" + (" (meets the budget)" if c in meets else "")
                 for c in (meets[:1] + [c for c in changes if c not in meets[:1]])]
        yield Violation(
            message=f"predicted {report.forward_s * 1e3:.3g} ms per forward at batch {report.batch_size} on "
                    f"{report.device}, over the {budget * 1e3:g} ms budget ({report.forward_s / budget:.1f}×)",
            why="a model that misses its latency budget cannot ship; the seed: use efficient architectures "
                "(MobileNet, EfficientNet) when latency is constrained",
            fixes=tuple(fixes) or ("use a smaller model: fewer layers or channels",),
            evidence={"predicted_ms": report.forward_s * 1e3, "budget_ms": budget * 1e3, "device": report.device,
                      "batch_size": report.batch_size, "changes": changes,
                      "cheapest_that_meets": meets[0]["change"] if meets else None},
        )


def _changes(ctx: Context, report: Any) -> list[dict[str, Any]]:
    """Architecture changes, least invasive first, with the forward time each is estimated to give."""
    total = report.forward_s
    by_path: dict[str, float] = {}
    for layer in report.per_layer:
        by_path[layer.path] = by_path.get(layer.path, 0.0) + layer.forward_s
    out: list[dict[str, Any]] = []
    dense = [c for c in ctx.convs if c.groups == 1 and not c.pointwise]
    if dense:
        saved = sum(by_path.get(c.path, 0.0) * (1 - c.separable_ratio) for c in dense)
        out.append({"change": f"depthwise-separable / inverted-bottleneck convolutions (MobileNetV2-style) in place "
                              f"of the {len(dense)} dense k×k convolutions", "estimated_ms": (total - saved) * 1e3})
    weighted_paths = {n.module for n in ctx.weighted}
    weighted_time = sum(v for p, v in by_path.items() if p in weighted_paths)
    out.append({"change": "halve the width of every layer (about 4× fewer FLOPs in weighted layers)",
                "estimated_ms": (total - 0.75 * weighted_time) * 1e3})
    out.append({"change": "halve the depth (half the blocks)", "estimated_ms": total * 0.5 * 1e3})
    if report.batch_size > 1:
        out.append({"change": f"batch 1 instead of {report.batch_size} (per-request latency)",
                    "estimated_ms": total / report.batch_size * 1e3})
    return out
