"""AW401 too-many-params-per-sample."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...problem import Modality
from ..context import Context, fmt_int
from ..registry import Rule, Severity, Violation, register


@register
class TooManyParamsPerSample(Rule):
    """
    ## What it does
    Compares the trainable parameters with the training samples. Above the seed's rule of thumb
    (parameters ≤ 0.1 × samples) it reports an info; above a per-modality limit, a warning.

    ## Why is this bad?
    A model with far more parameters than the data constrains can memorise the training set and
    overfit (train ≫ validation). The seed gives the budget 0.01–0.1 × dataset size, and shows its
    own nuance: LeNet on MNIST is 10× over and works, ResNet-50 on ImageNet is 200× over and works
    with aggressive augmentation. Over-parameterised image and text models generalise well in
    practice (Zhang et al. 2017; Nakkiran et al. 2020, deep double descent), tabular data does not
    have that luck: there more parameters than samples is a warning. A linear model is never
    flagged: it is the seed's first step (its 21-parameter model for 100 samples is a "perfect fit").

    ## Example
    ```python
    # tabular, 100 samples × 20 features
    model = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 1))
    ```

    ## Use instead
    ```python
    model = nn.Linear(20, 1)  # 21 parameters: the seed's "perfect fit"
    ```

    ## Thresholds
    - `budget` (0.1): the seed's parameters per sample; above it: info.
    - `max_per_sample_tabular` (1.0): parameters per sample above which tabular data gets a warning.
    - `max_per_sample` (1000): the same for images, text, sequences, time series and graphs.

    ## References
    Seed: "Principle: Match Capacity to Data Size (Parameter Budget)", Anti-pattern 1.
    """

    code = "AW401"
    name = "too-many-params-per-sample"
    principle = "Principle: Match Capacity to Data Size"
    checklist = ("Match capacity to data size",)
    anti_patterns = (1,)
    severity = Severity.INFO
    thresholds = {"budget": 0.1, "max_per_sample_tabular": 1.0, "max_per_sample": 1000}
    needs = ("samples",)

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        params, samples = ctx.profile.params.trainable, ctx.samples
        assert samples is not None
        per_sample = params / samples
        if per_sample <= t["budget"] or ctx.family == "linear":
            return  # a linear model is the seed's first step: there is nothing simpler to fall back to
        tabular = ctx.modality == Modality.TABULAR
        limit = t["max_per_sample_tabular"] if tabular else t["max_per_sample"]
        over = per_sample / t["budget"]
        warn = per_sample > limit
        if warn:
            why = (f"with {per_sample:,.3g} parameters per sample (limit {limit:g} for {ctx.modality.value} data) the "
                   "model can memorise the training set: expect train ≫ validation")
        else:
            why = (f"{over:,.0f}× over the seed's rule of thumb but under the {limit:g} per sample where archwise "
                   f"warns for {ctx.modality.value} data; the seed's own ResNet-50 on ImageNet is 200× over and works "
                   "with augmentation: watch the train/validation gap")
        yield Violation(
            message=f"{fmt_int(params)} trainable parameters for {samples:,} samples: {per_sample:,.3g} per sample, "
                    f"{over:,.0f}× the seed's budget of {t['budget']:g} per sample",
            why=why,
            fixes=("reduce capacity first (fewer layers or channels): the seed's first remedy",
                   "then regularise (dropout, weight decay), then more data or augmentation"),
            evidence={"params": params, "samples": samples, "per_sample": per_sample, "budget": t["budget"],
                      "limit": limit, "over_budget": over},
            severity=Severity.WARNING if warn else Severity.INFO,
        )
