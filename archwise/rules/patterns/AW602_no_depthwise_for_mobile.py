"""AW602 no-depthwise-for-mobile."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...design.decide import EDGE_DEVICES
from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class NoDepthwiseForMobile(Rule):
    """
    ## What it does
    Flags a CNN without depthwise-separable convolutions when the target is a mobile or embedded
    device (`phone-cpu`, `jetson-orin`) or the latency budget is tight (at most the decision tree's
    `tight_latency_s`, 10 ms by default).

    ## Why is this bad?
    The seed's "Latency Budget" example: ResNet-50 (4 GFLOPs) takes 0.4 s on a 10 GFLOP/s phone
    CPU, MobileNetV2 (0.3 GFLOPs) 30 ms. A depthwise-separable convolution (a 3×3 per channel,
    then a 1×1 across channels) costs 1/C_out + 1/9 of a dense 3×3: 8–9× fewer multiply-adds.
    The seed's decision tree picks EfficientNet/MobileNet-style CNNs for mobile.

    ## Example
    ```python
    archwise check hf:ResNetForImageClassification --input 1x3x224x224 --device phone-cpu
    ```

    ## Use instead
    ```python
    archwise check hf:MobileNetV2ForImageClassification --input 1x3x224x224 --device phone-cpu
    ```

    ## Thresholds
    None; the tree's `tight_latency_s` (under `[tool.archwise.tree]`) sets what counts as tight.

    ## References
    Seed: "Common Architectural Patterns: Inverted Bottleneck (MobileNetV2)", "Principle: Design
    for Compute Constraints (Latency Budget)"; Sandler et al., "MobileNetV2", CVPR 2018.
    """

    code = "AW602"
    name = "no-depthwise-for-mobile"
    principle = "Common Architectural Patterns"
    checklist = ("Respect compute constraints",)
    anti_patterns = (4,)
    severity = Severity.WARNING

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        if not ctx.mobile or not ctx.convs or any(c.depthwise for c in ctx.convs):
            return
        assert ctx.spec is not None
        if ctx.spec.device in EDGE_DEVICES:
            target = f"the mobile target {ctx.spec.device}"
        else:
            target = f"a {float(ctx.spec.latency_budget or 0) * 1e3:g} ms latency budget"
        dense = [c for c in ctx.convs if c.groups == 1 and not c.pointwise]
        saving = [c.separable_ratio for c in dense]
        share = sum(c.params for c in dense)
        yield Violation(
            message=f"{len(ctx.convs)} convolutions, none depthwise-separable, for {target}; "
                    f"{ctx.profile.flops_forward / 2e9:.3g} GMACs per forward",
            why="on mobile hardware dense convolutions dominate latency; a depthwise-separable one costs "
                f"{min(saving, default=1):.2f}–{max(saving, default=1):.2f} of a dense one here",
            fixes=("use inverted residual blocks with depthwise convolutions (MobileNetV2) or EfficientNet-style "
                   "scaling (archwise design --device phone-cpu)",
                   "or shrink the input resolution and width"),
            evidence={"convolutions": len(ctx.convs), "dense_kxk": len(dense), "dense_params": share,
                      "macs": ctx.profile.macs_forward},
        )
