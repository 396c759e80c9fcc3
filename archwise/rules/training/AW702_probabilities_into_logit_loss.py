"""AW702 probabilities-into-logit-loss."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...problem import LOSSES, Task
from ..context import Context
from ..registry import Rule, Severity, Violation, register

_TORCH_LOSS = {"cross_entropy": "nn.CrossEntropyLoss", "bce_with_logits": "nn.BCEWithLogitsLoss",
               "nll": "nn.NLLLoss", "bce": "nn.BCELoss"}


@register
class ProbabilitiesIntoLogitLoss(Rule):
    """
    ## What it does
    For a classification problem, flags a model whose output is made by a softmax or sigmoid when
    the loss it feeds expects logits (`cross_entropy`, `bce_with_logits`; the default for
    classification is cross-entropy), or a softmax feeding `nll`, which expects log-probabilities.

    ## Why is this bad?
    `nn.CrossEntropyLoss` applies log-softmax itself: fed probabilities it applies softmax twice,
    the loss saturates near log(C) and its gradient shrinks towards zero, so the network learns
    slowly or not at all — the seed's Debugging Problem 1 (loss stays constant).

    ## Example
    ```python
    model = nn.Sequential(nn.Linear(64, 10), nn.Softmax(dim=1))
    loss = nn.CrossEntropyLoss()(model(x), y)
    ```

    ## Use instead
    ```python
    model = nn.Sequential(nn.Linear(64, 10))   # logits; apply softmax only for predictions
    loss = nn.CrossEntropyLoss()(model(x), y)
    ```

    ## Thresholds
    None; the spec's `--loss` says what the output feeds.

    ## References
    Seed: "Debugging Architectures: Problem 1 (Network doesn't learn)"; PyTorch documentation of
    `CrossEntropyLoss` ("The input is expected to contain the unnormalized logits").
    """

    code = "AW702"
    name = "probabilities-into-logit-loss"
    principle = "Debugging Architectures"
    checklist = ("Verify gradient flow",)
    severity = Severity.ERROR
    needs = ("modality",)

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        spec = ctx.spec
        if spec is None or spec.task != Task.CLASSIFICATION:
            return
        loss = spec.effective_loss or "cross_entropy"
        for module, kind in ctx.output_probabilities:
            wrong = LOSSES.get(loss, False) or (loss == "nll" and kind == "softmax")
            if not wrong:
                continue
            expects = "log-probabilities" if loss == "nll" else "logits"
            yield Violation(
                message=f"the output is a {kind} (in '{module}') and feeds {_TORCH_LOSS.get(loss, loss)}, which "
                        f"expects {expects}" + (" (the default loss for classification; pass --loss to change it)"
                                                 if spec.loss is None else ""),
                why=f"the loss normalises again: the {kind} is applied twice, the loss saturates and its gradient "
                    "shrinks, so the network learns slowly or not at all",
                fixes=(f"return the logits and drop the final {kind} (apply it only when predicting)",
                       "or use the loss that matches it: nn.NLLLoss after log_softmax, nn.BCELoss after sigmoid"),
                evidence={"output": kind, "module": module, "loss": loss},
                where=module,
            )
