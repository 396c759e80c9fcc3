"""AW303 channels-not-growing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class ChannelsNotGrowing(Rule):
    """
    ## What it does
    Groups a CNN's convolutions by the spatial size of their outputs (its stages) and flags it
    when the channel count shrinks as the resolution drops, or stays flat over two or more halvings
    of the resolution. A stage's channels are the widest convolution at that resolution;
    convolutions on globally pooled 1×1 maps (squeeze-and-excitation) are left out.

    ## Why is this bad?
    The seed's standard pattern: "Gradually increase channels as spatial dims decrease" (224×224×64
    → 112×112×128 → 56×56×256 → 28×28×512), to "compensate for spatial information loss with
    channel information". A stage with fewer positions and no more channels throws information away.

    ## Example
    ```python
    model = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(64, 32, 3, padding=1))
    ```

    ## Use instead
    ```python
    model = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(128, 256, 3, padding=1))
    ```

    ## Thresholds
    - `min_reduction` (4): the total drop in positions over which flat channels count as a problem.

    ## References
    Seed: "Principle: Balance Depth and Width (Standard Patterns)".
    """

    code = "AW303"
    name = "channels-not-growing"
    principle = "Principle: Balance Depth and Width"
    checklist = ("Balance depth and width",)
    severity = Severity.WARNING
    thresholds = {"min_reduction": 4}

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        stages: dict[int, int] = {}
        sizes: dict[int, tuple[int, ...]] = {}
        for conv in ctx.convs:
            positions = 1
            for d in conv.out_spatial:
                positions *= d
            if positions <= 1 or not conv.out_spatial:
                continue
            stages[positions] = max(stages.get(positions, 0), conv.out_channels)
            sizes[positions] = conv.out_spatial
        order = sorted(stages, reverse=True)
        if len(order) < 2:
            return
        table = [{"spatial": "×".join(map(str, sizes[p])), "channels": stages[p]} for p in order]
        shrinks = [(a, b) for a, b in zip(order, order[1:]) if stages[b] < stages[a]]
        flat = stages[order[-1]] <= stages[order[0]] and order[0] / order[-1] >= t["min_reduction"]
        if not shrinks and not flat:
            return
        if shrinks:
            a, b = shrinks[0]
            what = (f"channels shrink from {stages[a]} at {'×'.join(map(str, sizes[a]))} to {stages[b]} at "
                    f"{'×'.join(map(str, sizes[b]))}")
        else:
            what = (f"channels stay at {stages[order[0]]} → {stages[order[-1]]} while the resolution drops "
                    f"{order[0] // order[-1]}× ({'×'.join(map(str, sizes[order[0]]))} → "
                    f"{'×'.join(map(str, sizes[order[-1]]))})")
        yield Violation(
            message=f"{what}: " + " → ".join(f"{s['spatial']}×{s['channels']}" for s in table),
            why="each downsampling step loses spatial information; the seed's pattern doubles the channels as the "
                "resolution halves to keep it as channel information",
            fixes=("double the channels at each stage that halves the resolution (64 → 128 → 256 → 512)",
                   "or keep the resolution where the channels cannot grow"),
            evidence={"stages": table},
        )
