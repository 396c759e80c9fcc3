"""AW301 deep-and-narrow."""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class DeepAndNarrow(Rule):
    """
    ## What it does
    Flags a network deeper than the seed's standard band whose typical layer (the median width of
    the weighted layers on its longest path) is narrower than the band.

    ## Why is this bad?
    The seed's Anti-pattern 3, "Deeper + narrower = efficient": 100 layers × 8 channels is an
    information bottleneck (8 channels cannot represent complex features), is harder to optimise,
    and is slow at inference because its 100 layers run one after another. Its example reaches 60 %
    where ResNet-18 (18 layers, 64–512 channels) reaches 95 %.

    ## Example
    ```python
    model = VeryDeepNarrow(num_layers=100, channels=8)
    ```

    ## Use instead
    ```python
    model = ResNet18()  # 18 layers, 64 → 128 → 256 → 512 channels
    ```

    ## Thresholds
    - `max_depth` (50): the deepest the seed's standard band goes.
    - `min_width` (64): the narrowest typical layer in the band.

    ## References
    Seed: "Principle: Balance Depth and Width", Anti-pattern 3.
    """

    code = "AW301"
    name = "deep-and-narrow"
    principle = "Principle: Balance Depth and Width"
    checklist = ("Balance depth and width",)
    anti_patterns = (3,)
    severity = Severity.WARNING
    thresholds = {"max_depth": 50, "min_width": 64}

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        depth = ctx.profile.structure.depth
        widths = ctx.hidden_widths()
        if depth <= t["max_depth"] or not widths:
            return
        median = statistics.median(widths)
        if median >= t["min_width"]:
            return
        yield Violation(
            message=f"{depth} weighted layers deep with a median width of {median:g} (the seed's band: "
                    f"{int(t['min_width'])}–512 wide, 12–{int(t['max_depth'])} deep)",
            why="narrow layers are an information bottleneck, and many sequential layers are harder to optimise and "
                "slow at inference (the seed: 100 × 8 reaches 60 %, ResNet-18 95 %)",
            fixes=("make it wider and shallower: 12–50 layers with 64–512 channels, widening as resolution drops",
                   "keep the parameter budget by trading depth for width (capacity ≈ depth × width²)"),
            evidence={"depth": depth, "median_width": median, "max_depth": t["max_depth"], "min_width": t["min_width"]},
        )
