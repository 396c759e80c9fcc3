"""AW104 full-attention-on-long-sequence."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class FullAttentionOnLongSequence(Rule):
    """
    ## What it does
    Flags self-attention in which every position attends to more keys than the seed's bound for
    full attention.

    ## Why is this bad?
    Full attention costs O(n²) in time and memory in the sequence length n: the score matrix of
    one head at 16k tokens is 256M entries. The seed's decision tree sends sequences over 4000
    tokens to a sparse Transformer (Longformer), and lists "Very long sequences (> 16k tokens, use
    sparse attention)" under the Transformer's "When NOT to use".

    ## Example
    ```python
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(256, 8, batch_first=True), 6)  # fed (B, 8192, 256)
    ```

    ## Use instead
    ```python
    # local (sliding-window) attention: each token attends to a window of w keys, O(n·w)
    # archwise design --modality sequence --seq-len 8192 builds one
    ```

    ## Thresholds
    - `max_keys` (4000): the most keys one query should attend to with full attention.

    ## References
    Seed: "Architecture Families: Transformers (When NOT to use)", "Decision Tree: Architecture Selection".
    """

    code = "AW104"
    name = "full-attention-on-long-sequence"
    principle = "Core Principle: Inductive Biases"
    checklist = ("Match inductive bias to problem", "Respect compute constraints")
    severity = Severity.WARNING
    thresholds = {"max_keys": 4000}

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        spans = ctx.attention_spans
        if not spans or max(spans) <= t["max_keys"]:
            return
        keys = max(spans)
        yield Violation(
            message=f"full self-attention over {keys:,} keys per query, more than {int(t['max_keys']):,}: "
                    f"{keys * keys / 1e6:,.0f}M scores per head per sequence",
            why="attention's time and memory grow with the square of the length; past a few thousand tokens the "
                "score matrices dominate both",
            fixes=("use local/sliding-window or sparse attention (Longformer-style) so each query reads a window",
                   "or chunk the sequence, or a recurrent/state-space model for very long streams"),
            evidence={"keys": keys, "max_keys": t["max_keys"], "scores_per_head": keys * keys},
        )
