"""AW801 skipped-simpler-baseline."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...problem import Modality
from ..context import Context, fmt_int
from ..registry import Rule, Severity, Violation, register


@register
class SkippedSimplerBaseline(Rule):
    """
    ## What it does
    Flags a model that skips rungs of the seed's progression for its data: on tabular data,
    deeper than the rung the decision tree picks (linear below 1000 samples, a 2–3-layer MLP up to
    100k); on graph data, a GNN with no MLP baseline score on record (`--baseline-score`).

    ## Why is this bad?
    The seed's "Start simple": Step 1 linear baseline (always), Step 2 a small MLP only if linear is
    insufficient, Step 3 more depth or width, Step 4 a specialised architecture — "NEVER skip to
    Step 4 without testing Steps 1–3". Its house-price example: 1000 samples, a linear model
    reaches R² = 0.85 in one second; a Transformer overfits at 10,000 parameters per sample.
    For graphs the tree says: test an MLP baseline first, use a GNN if the structure helps.

    ## Example
    ```python
    # tabular, 800 samples
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    ```

    ## Use instead
    ```python
    model = nn.Linear(20, 1)  # step 1; add layers only when it is measurably insufficient (archwise ladder)
    ```

    ## Thresholds
    - `small_mlp_depth` (3): the most weighted layers of the tree's "small MLP".

    ## References
    Seed: "Principle: Start Simple, Add Complexity Only When Needed", "Decision Tree: Architecture Selection".
    """

    code = "AW801"
    name = "skipped-simpler-baseline"
    principle = "Principle: Start Simple, Add Complexity Only When Needed"
    checklist = ("Start simple, add complexity only when needed",)
    anti_patterns = (1,)
    severity = Severity.WARNING
    thresholds = {"small_mlp_depth": 3}
    needs = ("modality",)

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        depth = ctx.profile.structure.depth
        decision = ctx.decision
        if ctx.modality == Modality.GRAPH and ctx.family == "gnn" and ctx.baseline_score is None:
            yield Violation(
                message="a GNN with no MLP baseline on record: the seed's tree tests an MLP on the node features first",
                why="message passing helps only when the graph structure carries signal; without the baseline there "
                    "is no evidence it does",
                fixes=("train an MLP on the node features alone and pass its score as --baseline-score",
                       "keep the GNN if it beats the MLP by more than 5 % (archwise ladder runs both)"),
                evidence={"family": "gnn", "baseline_score": None},
                severity=Severity.INFO,
            )
            return
        if ctx.modality != Modality.TABULAR or decision is None:
            return
        allowed = 1 if decision.family == "linear" else int(t["small_mlp_depth"]) if "small" in decision.architecture \
            else None
        if allowed is None or depth <= allowed:
            return
        yield Violation(
            message=f"{depth} weighted layers ({fmt_int(ctx.profile.params.total)} parameters) for {ctx.samples:,} "
                    f"tabular samples, where the seed's progression starts at {decision.architecture} "
                    f"(at most {allowed} layer{'s' if allowed > 1 else ''})",
            why="the simplest model that solves the problem is best; deeper models on small tabular data overfit, "
                "train slower and explain less",
            fixes=(f"start with {decision.architecture} and add a rung only when it is measurably insufficient "
                   "(archwise ladder)", *decision.also),
            evidence={"depth": depth, "allowed_depth": allowed, "samples": ctx.samples, "pick": decision.architecture},
        )
