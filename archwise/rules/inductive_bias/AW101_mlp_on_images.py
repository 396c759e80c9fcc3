"""AW101 mlp-on-images."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...problem import Modality
from ..context import Context, fmt_int
from ..registry import Rule, Severity, Violation, register


@register
class MlpOnImages(Rule):
    """
    ## What it does
    Flags an image model whose first weighted layer is a Linear layer reading the flattened image
    (a whole channel plane or more at once), the seed's MLP-on-images.

    ## Why is this bad?
    An MLP has no inductive bias for grids: it treats each pixel independently and must learn
    from data that nearby pixels are related and that a cat is a cat anywhere. The seed's
    example: an MLP with 150M parameters reaches 75 % where an 11M-parameter CNN reaches 95 %.
    Its Anti-pattern 5: tuning hyperparameters will not fix the wrong architecture.

    ## Example
    ```python
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 512), nn.ReLU(), nn.Linear(512, 10))
    ```

    ## Use instead
    ```python
    model = ResNet18()  # or a small CNN: conv → BN → ReLU stages, then global pooling and one Linear
    ```

    ## Thresholds
    - `min_plane_share` (1.0): the first Linear must read at least this share of one H×W plane
      to count as reading a flattened grid (patch embeddings read far less).

    ## References
    Seed: "Core Principle: Inductive Biases", "Architecture Families: CNN", Anti-pattern 5.
    """

    code = "AW101"
    name = "mlp-on-images"
    principle = "Core Principle: Inductive Biases"
    checklist = ("Match inductive bias to problem",)
    anti_patterns = (5,)
    severity = Severity.ERROR
    thresholds = {"min_plane_share": 1.0}
    needs = ("modality",)

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        if ctx.modality != Modality.IMAGE or not ctx.weighted or ctx.image_input is None:
            return
        first = ctx.weighted[0]
        c, h, w = ctx.image_input
        if first.kind != "linear" or first.in_width is None or first.in_width < t["min_plane_share"] * h * w:
            return
        yield Violation(
            message=(f"the first weighted layer '{first.module}' is a Linear over {first.in_width:,} inputs of the "
                     f"flattened {c}×{h}×{w} image: an MLP on images ({fmt_int(ctx.profile.params.total)} parameters)"),
            why=("an MLP has no spatial inductive bias: it learns every position separately, needs far more "
                 "parameters and data, and no learning-rate tuning fixes that (the seed: 150M-parameter MLP 75 %, "
                 "11M-parameter CNN 95 %)"),
            fixes=("use a CNN: ResNet in general, MobileNetV2/EfficientNet for mobile (archwise design --modality image)",
                   "then tune hyperparameters, not before"),
            evidence={"layer": first.module, "in_features": first.in_width, "image": [c, h, w],
                      "params": ctx.profile.params.total},
            where=first.module or "model",
        )
