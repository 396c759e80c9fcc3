"""AW203 saturating-activations-in-depth."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class SaturatingActivationsInDepth(Rule):
    """
    ## What it does
    Counts the weighted layers that every input → output path passes through (no branch bypasses
    them) and whose output goes through a sigmoid or tanh (not used as a gate); flags the model
    when there are more than the threshold.

    ## Why is this bad?
    The seed's "Verify gradient flow": each layer multiplies the gradient by its activation's
    slope, and a sigmoid's slope is at most 0.25 (tanh's at most 1, and far less once saturated).
    Through n such layers the gradient shrinks by up to 0.25ⁿ, so early layers stop learning —
    the vanishing gradients the seed's debugging section checks for.

    ## Example
    ```python
    model = nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(64, 64), nn.Sigmoid())], nn.Linear(64, 1))
    ```

    ## Use instead
    ```python
    model = nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(64, 64), nn.ReLU())], nn.Linear(64, 1))
    # or GELU/SiLU, with normalisation, or residual connections around the blocks
    ```

    ## Thresholds
    - `max_saturating` (4): the most sigmoid/tanh layers a signal must cross.

    ## References
    Seed: "Principle: Deep Networks Need Skip Connections (Vanishing Gradients)", "Debugging
    Architectures: Problem 1", "Design Checklist: Verify gradient flow".
    """

    code = "AW203"
    name = "saturating-activations-in-depth"
    principle = "Principle: Deep Networks Need Skip Connections"
    checklist = ("Verify gradient flow",)
    severity = Severity.WARNING
    thresholds = {"max_saturating": 4}

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        dominators = ctx.dominators
        hits = [n for n in ctx.weighted if n.idx in dominators and n.kind != "recurrent" and ctx.saturating_after(n)]
        if len(hits) <= t["max_saturating"]:
            return
        bound = 0.25 ** len(hits)
        yield Violation(
            message=f"{len(hits)} layers that every path crosses end in a sigmoid or tanh (more than "
                    f"{int(t['max_saturating'])}), from '{hits[0].module}' to '{hits[-1].module}'",
            why=f"each multiplies the gradient by the activation's slope (sigmoid ≤ 0.25): through {len(hits)} of "
                f"them it can shrink to {bound:.1e}, so early layers stop learning",
            fixes=("use ReLU/GELU/SiLU between layers (keep sigmoid for gates and outputs)",
                   "add normalisation and residual connections around the blocks"),
            evidence={"saturating_layers": len(hits), "first": hits[0].module, "last": hits[-1].module,
                      "gradient_bound": bound},
            where=hits[0].module or "model",
        )
