"""AW204 parameters-without-gradient."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..context import Context, fmt_int
from ..registry import Rule, Severity, Violation, register


@register
class ParametersWithoutGradient(Rule):
    """
    ## What it does
    Flags parameters that no operation of the forward pass reads (a module built but never called,
    a branch not taken): they get no gradient and never learn.

    ## Why is this bad?
    The seed's checklist asks to verify gradient flow ("check gradients in early layers: should
    be non-zero"). A module that is built but not called (a layer defined in `__init__` and
    forgotten in `forward`, a branch behind a condition) has a gradient of exactly zero: its
    parameters cost memory and optimizer state and do nothing, and `DistributedDataParallel`
    fails on them unless `find_unused_parameters=True`.

    ## Example
    ```python
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2, self.extra = nn.Linear(8, 8), nn.Linear(8, 1), nn.Linear(8, 8)
        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))  # self.extra never runs
    ```

    ## Use instead
    ```python
    # call every layer you build, or delete the ones you do not use
    ```

    ## Thresholds
    - `min_params` (1): the fewest unused parameters worth a finding.

    ## References
    Seed: "Design Checklist: Verify gradient flow", "Debugging Architectures: Problem 1".
    """

    code = "AW204"
    name = "parameters-without-gradient"
    principle = "Debugging Architectures"
    checklist = ("Verify gradient flow",)
    severity = Severity.WARNING
    thresholds = {"min_params": 1}

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        unused = ctx.profile.unused_parameters
        total = sum(n for _, n in unused)
        if not unused or total < t["min_params"]:
            return
        names = ", ".join(f"'{name}'" for name, _ in unused[:5]) + (f" and {len(unused) - 5} more" if len(unused) > 5
                                                                    else "")
        owner = unused[0][0].rpartition(".")[0]
        yield Violation(
            message=f"{len(unused)} parameter tensor(s) with {fmt_int(total)} elements were read by no op of the "
                    f"forward: {names}",
            why="parameters that do not take part in the forward get no gradient: they never learn, cost memory and "
                "optimizer state, and make DistributedDataParallel fail",
            fixes=("use the module in forward, or remove it",
                   "if it is used only sometimes (a branch), freeze it or set find_unused_parameters=True in DDP"),
            evidence={"parameters": [name for name, _ in unused], "elements": total},
            where=owner or "model",
        )
