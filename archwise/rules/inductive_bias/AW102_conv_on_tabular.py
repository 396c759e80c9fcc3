"""AW102 conv-on-tabular."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...problem import Modality
from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class ConvOnTabular(Rule):
    """
    ## What it does
    Flags convolutions in a model for tabular data.

    ## Why is this bad?
    A convolution assumes that neighbouring inputs are related and that a pattern means the same
    wherever it appears. Tabular features are independent columns in an arbitrary order: swapping
    two columns changes what a convolution sees but not the data. The seed lists "Tabular data (no
    spatial structure)" under the CNN's "When NOT to use".

    ## Example
    ```python
    model = nn.Sequential(nn.Unflatten(1, (1, 20)), nn.Conv1d(1, 16, 3), nn.Flatten(), nn.Linear(16 * 18, 1))
    ```

    ## Use instead
    ```python
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 1))  # or ridge / gradient boosting
    ```

    ## Thresholds
    None.

    ## References
    Seed: "Core Principle: Inductive Biases", "Architecture Families: CNN (When NOT to use)".
    """

    code = "AW102"
    name = "conv-on-tabular"
    principle = "Core Principle: Inductive Biases"
    checklist = ("Match inductive bias to problem",)
    anti_patterns = (1,)
    severity = Severity.WARNING
    needs = ("modality",)

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        if ctx.modality != Modality.TABULAR or not ctx.convs:
            return
        first = ctx.convs[0]
        yield Violation(
            message=f"{len(ctx.convs)} convolution(s) on tabular data, the first '{first.path}' "
                    f"(kernel {'×'.join(map(str, first.kernel))})",
            why="tabular columns have no order or neighbourhood, so a convolution's locality and weight sharing "
                "assume a structure the data does not have",
            fixes=("start with linear / ridge regression, then a small MLP (archwise design --modality tabular)",
                   "keep gradient boosting (LightGBM) beside any neural net as a reference"),
            evidence={"convolutions": len(ctx.convs), "first": first.path},
            where=first.path or "model",
        )
