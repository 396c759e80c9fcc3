"""AW106 family-differs-from-decision-tree."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...design.decide import FAMILIES
from ..context import Context
from ..registry import Rule, Severity, Violation, register

# Mismatches that a more specific rule of this family reports with better evidence.
_SPECIFIC = {"AW101", "AW102", "AW103", "AW104", "AW105"}


@register
class FamilyDiffersFromDecisionTree(Rule):
    """
    ## What it does
    Compares the model's family (read from its ops: convolutions, attention, recurrence,
    message passing, plain linear layers) with what the seed's decision tree picks for the
    problem, and names the pick when they differ.

    ## Why is this bad?
    The decision tree encodes the seed's core principle: match the architecture's inductive bias
    to the data (grids → CNN, sequences by length → LSTM/GRU, Transformer or sparse attention,
    graphs → GNN after an MLP baseline, tabular by size → linear, small MLP, larger MLP or
    boosting). A different family may be right, but it should be a decision, not an accident.
    Where a more specific rule of this family (AW101–AW105) already reports the mismatch, this
    one stays silent.

    ## Example
    ```python
    # timeseries, 48 steps per sample
    model = nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, batch_first=True), 2)
    ```

    ## Use instead
    ```python
    model = nn.LSTM(32, 64, batch_first=True)  # < 100 steps → LSTM/GRU
    ```

    ## Thresholds
    None here; the tree's own branch points are set under `[tool.archwise.tree]`
    (`rnn_below`, `sparse_above`, `vit_from_samples`, `linear_below`, `mlp_below`, `tight_latency_s`).

    ## References
    Seed: "Decision Tree: Architecture Selection", "Core Principle: Inductive Biases".
    """

    code = "AW106"
    name = "family-differs-from-decision-tree"
    principle = "Decision Tree: Architecture Selection"
    checklist = ("Match inductive bias to problem",)
    anti_patterns = (1,)
    severity = Severity.WARNING
    needs = ("modality",)

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        decision = ctx.decision
        if decision is None or ctx.fired & _SPECIFIC or ctx.family in decision.accepts:
            return
        yield Violation(
            message=f"the model is a {FAMILIES[ctx.family]}; for {ctx.modality.value} data the seed's decision tree "
                    f"picks {decision.describe()} ({' → '.join(decision.path)})",
            why="the tree matches the architecture's inductive bias to the data; another family needs a reason "
                "(a measured gain over the pick)",
            fixes=(f"try the pick: {decision.architecture} (archwise design builds and sizes it)",
                   "or keep this model and record why: compare both with archwise ladder", *decision.also),
            evidence={"family": ctx.family, "pick": decision.family, "architecture": decision.architecture,
                      "path": list(decision.path)},
        )
