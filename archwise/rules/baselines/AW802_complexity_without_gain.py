"""AW802 complexity-without-gain."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class ComplexityWithoutGain(Rule):
    """
    ## What it does
    With a baseline's score and this model's score (`--baseline-score`, `--score`, from your
    evaluation or `archwise ladder`), flags a non-linear model whose relative improvement over
    the baseline is under the seed's 5 %.

    ## Why is this bad?
    The seed's checklist, "Benchmark against baselines: compare to a simple model (linear, small
    MLP); ensure complexity adds value (% improvement > 5 %)". Complexity that does not pay for
    itself costs training time, latency and interpretability for nothing.

    ## Example
    ```python
    archwise check model.py:Net --input 1x20 --modality tabular --baseline-score 0.85 --score 0.86
    ```

    ## Use instead
    ```python
    # ship the baseline (0.85), or find a change that gains more than 5 %
    ```

    ## Thresholds
    - `min_gain` (0.05): the smallest relative improvement over the baseline that justifies the model.

    ## References
    Seed: "Design Checklist: Benchmark against baselines", "Principle: Start Simple, Add Complexity
    Only When Needed".
    """

    code = "AW802"
    name = "complexity-without-gain"
    principle = "Principle: Start Simple, Add Complexity Only When Needed"
    checklist = ("Benchmark against baselines",)
    severity = Severity.WARNING
    thresholds = {"min_gain": 0.05}
    needs = ("scores",)

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        base, score = ctx.baseline_score, ctx.score
        assert base is not None and score is not None
        if ctx.family == "linear":
            return
        diff = (score - base) if ctx.higher_is_better else (base - score)
        gain = diff / abs(base) if base else float("inf") if diff > 0 else 0.0
        if gain >= t["min_gain"]:
            return
        yield Violation(
            message=f"score {score:g} against the baseline's {base:g}: {gain:+.1%} relative, under the "
                    f"{t['min_gain']:.0%} the seed asks complexity to add",
            why="a model that does not beat a simple baseline by a clear margin costs training time, latency and "
                "interpretability for nothing",
            fixes=("keep the baseline", "or find what the baseline misses (error analysis) before adding capacity"),
            evidence={"score": score, "baseline_score": base, "relative_gain": gain, "min_gain": t["min_gain"],
                      "higher_is_better": ctx.higher_is_better},
        )
