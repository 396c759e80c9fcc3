"""AW601 dense-3x3-at-high-width."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context, ConvLayer, fmt_int
from ..registry import Rule, Severity, Violation, register


@register
class Dense3x3AtHighWidth(Rule):
    """
    ## What it does
    In a deep CNN, finds 3×3 convolutions with at least 256 input and output channels that are not
    the middle of a bottleneck (not fed by a 1×1 convolution that narrowed the channels), and
    computes the parameters a ResNet bottleneck (1×1 down to a quarter, 3×3, 1×1 back up) would
    save on them.

    ## Why is this bad?
    The seed's "Bottleneck (ResNet)" pattern: a 3×3 convolution at 256 channels costs
    256 × 256 × 9 = 590K parameters; the bottleneck 1×1 (256→64) → 3×3 (64→64) → 1×1 (64→256)
    costs 69K, 8.5× fewer, for the same input and output width. Basic blocks are fine at low
    width and depth (ResNet-18/34 use them), but their cost grows with the square of the width.

    ## Example
    ```python
    block = nn.Sequential(nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.Conv2d(256, 256, 3, padding=1))
    ```

    ## Use instead
    ```python
    block = nn.Sequential(nn.Conv2d(256, 64, 1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(64, 256, 1))  # with out = x + block(x)
    ```

    ## Thresholds
    - `min_channels` (256): the width from which a dense 3×3 counts.
    - `min_depth` (50): weighted layers on the longest path from which the bottleneck pays: the ResNet
      paper keeps basic blocks for ResNet-18/34 and switches to bottlenecks from ResNet-50 on.
    - `reduction` (4): the bottleneck's narrowing used for the saving.

    ## References
    Seed: "Common Architectural Patterns: Bottleneck (ResNet)"; He et al., CVPR 2016.
    """

    code = "AW601"
    name = "dense-3x3-at-high-width"
    principle = "Common Architectural Patterns"
    checklist = ("Balance depth and width", "Respect compute constraints")
    severity = Severity.INFO
    thresholds = {"min_channels": 256, "min_depth": 50, "reduction": 4}

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        if ctx.profile.structure.depth < t["min_depth"]:
            return
        by_idx = {c.idx: c for c in ctx.convs}
        hits = [c for c in ctx.convs
                if c.groups == 1 and c.kernel == (3, 3) and min(c.in_channels, c.out_channels) >= t["min_channels"]
                and not _in_bottleneck(ctx, c, by_idx)]
        if not hits:
            return
        r = int(t["reduction"])
        dense = sum(c.params for c in hits)
        bottleneck = sum(c.in_channels * (c.out_channels // r) + (c.out_channels // r) ** 2 * 9
                         + (c.out_channels // r) * c.out_channels for c in hits)
        yield Violation(
            message=f"{len(hits)} dense 3×3 convolutions at ≥ {int(t['min_channels'])} channels outside a bottleneck "
                    f"hold {fmt_int(dense)} parameters; as 1×1 → 3×3 → 1×1 bottlenecks (÷{r}) they would hold "
                    f"{fmt_int(bottleneck)} ({dense / max(bottleneck, 1):.1f}× fewer)",
            why="a 3×3 convolution's cost grows with the square of its width; the bottleneck keeps the block's "
                "input and output width at a fraction of the parameters and FLOPs",
            fixes=(f"use bottleneck blocks at these widths: 1×1 to a {r}th of the channels, 3×3, 1×1 back up",
                   "or keep basic blocks and narrow the widest stages"),
            evidence={"convolutions": [c.path for c in hits], "params": dense, "params_as_bottleneck": bottleneck},
            where=hits[0].path or "model",
        )


def _in_bottleneck(ctx: Context, conv: ConvLayer, by_idx: dict[int, ConvLayer]) -> bool:
    """Whether the nearest weighted layer feeding ``conv`` is a 1×1 convolution that narrowed the channels."""
    frontier, seen = list(ctx.graph[conv.idx].preds), set()
    while frontier:
        idx = frontier.pop()
        if idx in seen:
            continue
        seen.add(idx)
        node = ctx.graph[idx]
        if node.weight:
            source = by_idx.get(idx)
            if source is not None and source.pointwise and source.in_channels >= 2 * source.out_channels:
                return True
            continue
        frontier.extend(node.preds)
    return False
