"""AW201 plain-deep-network."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class PlainDeepNetwork(Rule):
    """
    ## What it does
    Flags a network with more weighted layers on its longest input → output path than the seed's
    bound and no skip connection anywhere (no residual add, dense concatenation or highway gate,
    as found in the op graph).

    ## Why is this bad?
    The gradient reaching an early layer is a product of one factor per layer; at 0.9 each, 50
    layers leave 0.9^50 ≈ 5·10⁻⁶ (vanishing gradients), and plain networks also degrade: a 56-layer
    plain net trains worse than a 20-layer one (the ResNet paper). A skip connection adds an
    identity path, so ∂out/∂x = 1 + ∂F/∂x and the gradient always flows. Seed Anti-pattern 2:
    "More layers = better".

    ## Example
    ```python
    layers = []
    for i in range(100):
        layers += [nn.Conv2d(64, 64, 3, padding=1), nn.ReLU()]
    model = nn.Sequential(*layers)
    ```

    ## Use instead
    ```python
    class Block(nn.Module):
        def forward(self, x):
            return x + self.f(x)  # out = x + F(x): a skip connection
    ```

    ## Thresholds
    - `max_plain_depth` (10): the most weighted layers on the longest path without any skip connection.

    ## References
    Seed: "Principle: Deep Networks Need Skip Connections", Anti-pattern 2; He et al., "Deep Residual
    Learning for Image Recognition", CVPR 2016.
    """

    code = "AW201"
    name = "plain-deep-network"
    principle = "Principle: Deep Networks Need Skip Connections"
    checklist = ("Use skip connections for deep networks (> 10 layers)", "Verify gradient flow")
    anti_patterns = (2,)
    severity = Severity.ERROR
    thresholds = {"max_plain_depth": 10}

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        depth = ctx.profile.structure.depth
        if depth <= t["max_plain_depth"] or ctx.profile.structure.skip_connections:
            return
        bound = 0.9 ** depth
        yield Violation(
            message=f"{depth} weighted layers on the longest path and no skip connection (more than "
                    f"{int(t['max_plain_depth'])})",
            why=f"the gradient to the first layer is a product of {depth} per-layer factors: at 0.9 each it is "
                f"{bound:.1e} of its size at the output (vanishing gradients), and plain deep nets degrade",
            fixes=("add residual connections around blocks of 2–3 layers (out = x + F(x)), ResNet-style",
                   "or use fewer layers: the seed's balanced range is 12–50 with skips"),
            evidence={"depth": depth, "max_plain_depth": t["max_plain_depth"], "skip_connections": 0,
                      "gradient_factor_at_0_9": bound},
        )
