"""AW701 deep-without-normalization."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class DeepWithoutNormalization(Rule):
    """
    ## What it does
    Flags a network deeper than the threshold with no normalisation layer at all (batch, layer,
    group, instance or RMS norm, found by op or by module type).

    ## Why is this bad?
    Without normalisation the scale of activations and gradients drifts from layer to layer, so
    deep networks are sensitive to initialisation and learning rate and often do not learn (the
    seed's Debugging Problem 1: loss stays constant; check gradient flow). Every deep family the
    seed recommends normalises: ResNet after each convolution, Transformers around each block.

    ## Example
    ```python
    model = nn.Sequential(*[m for _ in range(12) for m in (nn.Conv2d(64, 64, 3, padding=1), nn.ReLU())])
    ```

    ## Use instead
    ```python
    model = nn.Sequential(*[m for _ in range(12) for m in (nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64),
                                                           nn.ReLU())])  # and skip connections past 10 layers
    ```

    ## Thresholds
    - `max_depth` (10): the deepest a network may be without normalisation.

    ## References
    Seed: "Debugging Architectures: Problem 1", "Design Checklist: Verify gradient flow"; Ioffe &
    Szegedy, "Batch Normalization", ICML 2015.
    """

    code = "AW701"
    name = "deep-without-normalization"
    principle = "Debugging Architectures"
    checklist = ("Verify gradient flow",)
    severity = Severity.WARNING
    thresholds = {"max_depth": 10}

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        depth = ctx.profile.structure.depth
        if depth <= t["max_depth"] or ctx.has_norm:
            return
        yield Violation(
            message=f"{depth} weighted layers deep and no normalisation layer",
            why="activation and gradient scales drift through unnormalised layers, so deep networks train only with "
                "careful initialisation and small learning rates, if at all",
            fixes=("add BatchNorm after each convolution (CNNs) or LayerNorm/RMSNorm in each block (Transformers, MLPs)",
                   "with skip connections past 10 layers"),
            evidence={"depth": depth, "max_depth": t["max_depth"]},
        )
