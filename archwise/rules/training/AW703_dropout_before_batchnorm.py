"""AW703 dropout-before-batchnorm."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class DropoutBeforeBatchnorm(Rule):
    """
    ## What it does
    Flags a Dropout module whose output goes straight into a BatchNorm module.

    ## Why is this bad?
    Dropout changes the variance of its output between training and evaluation; a BatchNorm right
    after it learns running statistics under training's variance and applies them at evaluation,
    where the variance differs ("variance shift"), so evaluation accuracy drops (Li et al.,
    CVPR 2019). It is one of the seed's regularisation remedies for overfitting, misplaced.

    ## Example
    ```python
    block = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.Dropout(0.3), nn.BatchNorm2d(64))
    ```

    ## Use instead
    ```python
    block = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.Dropout(0.3))
    # dropout after the last BatchNorm, or before the classifier only
    ```

    ## Thresholds
    None.

    ## References
    Seed: "Principle: Match Capacity to Data Size (Overfitting Detection: add regularization)"; Li
    et al., "Understanding the Disharmony between Dropout and Batch Normalization by Variance
    Shift", CVPR 2019.
    """

    code = "AW703"
    name = "dropout-before-batchnorm"
    principle = "Principle: Match Capacity to Data Size"
    checklist = ("Match capacity to data size",)
    severity = Severity.WARNING

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        types = ctx.types
        for src, dst in sorted(ctx.module_edges):
            if types.get(src, "").startswith("Dropout") and "BatchNorm" in types.get(dst, ""):
                yield Violation(
                    message=f"'{src}' ({types[src]}) feeds '{dst}' ({types[dst]}) directly",
                    why="dropout changes its output's variance between training and evaluation, so the batch norm "
                        "after it normalises evaluation inputs with the wrong statistics (variance shift)",
                    fixes=("move the dropout after the batch norm (or after the block's last batch norm)",
                           "or drop it and regularise with weight decay"),
                    evidence={"dropout": src, "batchnorm": dst},
                    where=src,
                )
