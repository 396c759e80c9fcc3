"""AW103 rnn-on-long-sequence."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class RnnOnLongSequence(Rule):
    """
    ## What it does
    Flags a recurrent layer (LSTM, GRU, RNN) run over sequences longer than the seed's bound for
    recurrent networks.

    ## Why is this bad?
    A recurrent network processes steps one after another: it cannot be parallelised over time,
    and the gradient from the last step to the first passes through every step, so it vanishes
    over long sequences. The seed: "Long sequences (> 1000 timesteps, use Transformer)" under the
    RNN's "When NOT to use"; its decision tree sends anything over 100 steps to a Transformer.

    ## Example
    ```python
    lstm = nn.LSTM(16, 128, batch_first=True)   # fed (B, 5000, 16)
    ```

    ## Use instead
    ```python
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(128, 4, batch_first=True, norm_first=True), 4)
    # > 4000 steps: local/sparse attention (archwise design --modality sequence --seq-len 5000)
    ```

    ## Thresholds
    - `max_steps` (1000): the longest sequence a recurrent layer should run over.

    ## References
    Seed: "Architecture Families: RNN/LSTM (When NOT to use)", "Decision Tree: Architecture Selection".
    """

    code = "AW103"
    name = "rnn-on-long-sequence"
    principle = "Core Principle: Inductive Biases"
    checklist = ("Match inductive bias to problem",)
    severity = Severity.WARNING
    thresholds = {"max_steps": 1000}
    needs = ("modality", "seq_len")

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        recurrent = [n for n in ctx.weighted if n.kind == "recurrent"]
        steps = ctx.seq_len
        if not recurrent or steps is None or steps <= t["max_steps"]:
            return
        pick = ctx.decision.describe() if ctx.decision else "a Transformer"
        yield Violation(
            message=f"'{recurrent[0].module}' ({recurrent[0].op}) runs over {steps:,} steps, more than the "
                    f"{int(t['max_steps']):,} the seed allows a recurrent network",
            why="a recurrent layer runs its steps one by one and its gradient crosses every step, so it is slow "
                "and forgets over long sequences",
            fixes=(f"use what the decision tree picks for {steps:,} steps: {pick}",
                   "or shorten the sequence (downsample, chunk) if the task allows"),
            evidence={"layer": recurrent[0].module, "steps": steps, "max_steps": t["max_steps"]},
            where=recurrent[0].module or "model",
        )
