"""AW402 too-few-params-per-sample."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context, fmt_int
from ..registry import Rule, Severity, Violation, register


@register
class TooFewParamsPerSample(Rule):
    """
    ## What it does
    Flags a model with fewer trainable parameters than the low end of the seed's budget
    (0.01 × samples): it may be too simple for what the data can support.

    ## Why is this bad?
    The seed's "Underfitting Detection": training accuracy below target because the model is too
    simple. With much more data than parameters, the data can support a larger model; the seed's
    decision tree sends tabular data beyond 100k samples to a larger MLP or gradient boosting.

    ## Example
    ```python
    model = nn.Linear(20, 1)  # 21 parameters for 1,000,000 samples
    ```

    ## Use instead
    ```python
    model = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 1))
    # and compare with the linear model: keep it only if it gains (archwise ladder)
    ```

    ## Thresholds
    - `min_budget` (0.01): the seed's low end, in parameters per sample.

    ## References
    Seed: "Principle: Match Capacity to Data Size (Parameter Budget, Underfitting Detection)".
    """

    code = "AW402"
    name = "too-few-params-per-sample"
    principle = "Principle: Match Capacity to Data Size"
    checklist = ("Match capacity to data size",)
    severity = Severity.INFO
    thresholds = {"min_budget": 0.01}
    needs = ("samples",)

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        params, samples = ctx.profile.params.trainable, ctx.samples
        assert samples is not None
        if params >= t["min_budget"] * samples:
            return
        yield Violation(
            message=f"{fmt_int(params)} trainable parameters for {samples:,} samples: {params / samples:.2g} per "
                    f"sample, under the seed's low end of {t['min_budget']:g}",
            why="the data can support a larger model; if training accuracy is below target the model is too simple "
                "(underfitting)",
            fixes=("train longer first (the seed's cheapest remedy for underfitting)",
                   "then add capacity: more layers or channels, compared against this model",
                   "then reduce regularisation"),
            evidence={"params": params, "samples": samples, "per_sample": params / samples,
                      "min_budget": t["min_budget"]},
        )
