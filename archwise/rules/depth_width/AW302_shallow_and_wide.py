"""AW302 shallow-and-wide."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context, fmt_int
from ..registry import Rule, Severity, Violation, register


@register
class ShallowAndWide(Rule):
    """
    ## What it does
    Flags a network with very few weighted layers on its longest path whose hidden layers are
    wider than the seed's standard band.

    ## Why is this bad?
    The seed's "Too shallow, too wide": 2 layers × 1024 channels under-uses depth (no hierarchy of
    features) and explodes the parameter count, since a layer costs width² (1024 × 1024 = 1M
    parameters). Its example reaches 70 % where a balanced 18-layer network reaches 95 %.

    ## Example
    ```python
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 10))  # 2 × 1024
    ```

    ## Use instead
    ```python
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))  # deeper, narrower
    ```

    ## Thresholds
    - `max_shallow_depth` (2): a network this shallow or shallower counts as shallow.
    - `max_width` (512): the widest hidden layer in the seed's band.

    ## References
    Seed: "Principle: Balance Depth and Width (Trade-offs)".
    """

    code = "AW302"
    name = "shallow-and-wide"
    principle = "Principle: Balance Depth and Width"
    checklist = ("Balance depth and width",)
    severity = Severity.WARNING
    thresholds = {"max_shallow_depth": 2, "max_width": 512}

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        depth = ctx.profile.structure.depth
        widths = ctx.hidden_widths()
        if depth > t["max_shallow_depth"] or not widths or max(widths) <= t["max_width"]:
            return
        wide = max(widths)
        layer = next((n for n in ctx.longest_nodes if n.width == wide), None)
        yield Violation(
            message=f"{depth} weighted layers with a hidden layer {wide:,} wide (the seed's band: 64–"
                    f"{int(t['max_width'])} wide, 12–50 deep); {fmt_int(ctx.profile.params.total)} parameters",
            why="a shallow network cannot build features in a hierarchy, and width costs parameters quadratically "
                "(the seed: 2 × 1024 reaches 70 %, a balanced 18-layer network 95 %)",
            fixes=("trade width for depth: more, narrower layers (with skip connections past 10)",
                   "for tabular data keep 2–3 layers but at most a few hundred units"),
            evidence={"depth": depth, "max_hidden_width": wide, "max_width": t["max_width"]},
            where=(layer.module if layer is not None else "") or "model",
        )
