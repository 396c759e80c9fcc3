"""AW202 post-norm-transformer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class PostNormTransformer(Rule):
    """
    ## What it does
    Flags a deep Transformer whose residual stream passes through its normalisation layers
    (post-norm: `x = norm(x + f(x))`) instead of around them (pre-norm: `x = x + f(norm(x))`).
    Read from the op graph: in a post-norm block the tensor a residual shortcut carries is the
    output of a LayerNorm/RMSNorm.

    ## Why is this bad?
    In post-norm the shortcut is not an identity path: every block's norm rescales the gradient
    on its way back, so deep post-norm Transformers need learning-rate warm-up and still diverge
    more easily (Xiong et al. 2020). The seed's checklist: "Use skip connections for deep networks:
    … Pre-norm for Transformers". BERT-base is post-norm and trains with a careful warm-up.

    ## Example
    ```python
    layer = nn.TransformerEncoderLayer(512, 8, batch_first=True)  # norm_first=False: post-norm
    ```

    ## Use instead
    ```python
    layer = nn.TransformerEncoderLayer(512, 8, batch_first=True, norm_first=True)  # pre-norm
    ```

    ## Thresholds
    - `min_depth` (10): weighted layers on the longest path from which a Transformer counts as deep.
    - `min_share` (0.5): the share of residual shortcuts that must start at a norm layer.

    ## References
    Seed: "Design Checklist: Use skip connections for deep networks"; Xiong et al., "On Layer
    Normalization in the Transformer Architecture", ICML 2020.
    """

    code = "AW202"
    name = "post-norm-transformer"
    principle = "Principle: Deep Networks Need Skip Connections"
    checklist = ("Use skip connections for deep networks (> 10 layers)",)
    severity = Severity.WARNING
    thresholds = {"min_depth": 10, "min_share": 0.5}

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        forks = ctx.residual_fork_ops
        depth = ctx.profile.structure.depth
        if "attention" not in ctx.families or not forks or depth < t["min_depth"]:
            return
        from_norm = sum(1 for kind in forks if "Norm" in kind)
        share = from_norm / len(forks)
        if share < t["min_share"]:
            return
        yield Violation(
            message=f"post-norm Transformer: {from_norm} of {len(forks)} residual shortcuts carry the output of a "
                    f"norm layer, at depth {depth}",
            why="in post-norm the residual path passes through every norm, so it is not an identity path for the "
                "gradient; deep post-norm stacks need warm-up and diverge more easily",
            fixes=("move the norm inside the branch: x = x + f(norm(x)) (norm_first=True), plus one final norm",
                   "if you keep post-norm (to load BERT-style weights), keep a learning-rate warm-up"),
            evidence={"residual_shortcuts": len(forks), "from_norm": from_norm, "share": round(share, 3),
                      "depth": depth},
        )
