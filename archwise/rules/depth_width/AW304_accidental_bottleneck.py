"""AW304 accidental-bottleneck."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class AccidentalBottleneck(Rule):
    """
    ## What it does
    Flags a layer on the longest path that every signal must pass through (no skip connection or
    parallel branch bypasses it) and that is much narrower than the layers on both sides of it
    and narrower than the model's output.

    ## Why is this bad?
    Everything the later layers know passes through this layer's few units: the seed's
    "Information bottleneck (8 channels can't represent complex features)". A ResNet bottleneck
    (256 → 64 → 256) is bypassed by its skip connection and narrows only 4×, so it is not
    flagged; an intentional code layer (an autoencoder's) is, and can be ignored with
    `--ignore AW304`.

    ## Example
    ```python
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 4), nn.ReLU(),
                          nn.Linear(4, 512), nn.ReLU(), nn.Linear(512, 10))
    ```

    ## Use instead
    ```python
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    ```

    ## Thresholds
    - `ratio` (8): how many times narrower than both neighbours a layer must be.

    ## References
    Seed: "Principle: Balance Depth and Width (Too deep, too narrow)", "Common Architectural
    Patterns: Bottleneck (ResNet)".
    """

    code = "AW304"
    name = "accidental-bottleneck"
    principle = "Principle: Balance Depth and Width"
    checklist = ("Balance depth and width",)
    severity = Severity.WARNING
    thresholds = {"ratio": 8}

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        path = [n for n in ctx.longest_nodes if n.width is not None]
        if len(path) < 3:
            return
        output = path[-1].width
        dominators = ctx.dominators
        for prev, node, nxt in zip(path, path[1:], path[2:]):
            w = node.width
            if node.idx not in dominators or w >= output:
                continue
            if prev.width >= t["ratio"] * w and nxt.width >= t["ratio"] * w:
                yield Violation(
                    message=f"'{node.module}' is {w} wide between layers {prev.width} and {nxt.width} wide, and "
                            f"narrower than the output ({output}); nothing bypasses it",
                    why="every signal passes through these few units, so they cap what later layers can know (an "
                        "information bottleneck)",
                    fixes=(f"widen it to at least {min(prev.width, nxt.width) // 4} (a 4× narrowing, like ResNet's "
                           "bottleneck) or add a skip connection around it",
                           "if it is an intentional code layer (autoencoder), ignore AW304"),
                    evidence={"layer": node.module, "width": w, "before": prev.width, "after": nxt.width,
                              "output": output},
                    where=node.module or "model",
                )
