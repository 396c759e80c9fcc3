"""AW105 transformer-on-small-data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context, fmt_int
from ..registry import Rule, Severity, Violation, register


@register
class TransformerOnSmallData(Rule):
    """
    ## What it does
    Flags a Transformer (self-attention) trained on fewer samples than the seed's bound.

    ## Why is this bad?
    Self-attention has almost no inductive bias: it learns relationships from data, so it needs a
    lot of it. The seed: "Small datasets (< 10k samples, use RNN or MLP)" under the Transformer's
    "When NOT to use", and its Anti-pattern 1: a Transformer "because it is state of the art" on
    100 tabular samples overfits horribly.

    ## Example
    ```python
    model = HugeTransformer(...)  # 10M parameters, 100 samples
    ```

    ## Use instead
    ```python
    model = nn.Linear(20, 1)  # tabular + small data → linear or a small MLP; sequences → LSTM/GRU
    ```

    ## Thresholds
    - `min_samples` (10000): the fewest training samples for a Transformer trained from scratch.

    ## References
    Seed: "Architecture Families: Transformers (When NOT to use)", Anti-pattern 1.
    """

    code = "AW105"
    name = "transformer-on-small-data"
    principle = "Core Principle: Inductive Biases"
    checklist = ("Match inductive bias to problem", "Match capacity to data size")
    anti_patterns = (1,)
    severity = Severity.WARNING
    thresholds = {"min_samples": 10_000}
    needs = ("samples",)

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        samples = ctx.samples
        if "attention" not in ctx.families or samples is None or samples >= t["min_samples"]:
            return
        pick = ctx.decision.describe() if ctx.decision else "a smaller model"
        yield Violation(
            message=f"a Transformer ({fmt_int(ctx.profile.params.total)} parameters) for {samples:,} samples, "
                    f"fewer than the {int(t['min_samples']):,} the seed asks for",
            why="self-attention learns its structure from data; with little data it overfits where a model with "
                "the right inductive bias generalises",
            fixes=(f"use what the decision tree picks for this problem: {pick}",
                   "or start from a pre-trained Transformer and fine-tune it (not from scratch)"),
            evidence={"samples": samples, "min_samples": t["min_samples"], "params": ctx.profile.params.total},
        )
