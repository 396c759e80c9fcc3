"""AW501 training-memory-over-device."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...report.memory import fmt_bytes
from ..context import Context
from ..registry import Rule, Severity, Violation, register


@register
class TrainingMemoryOverDevice(Rule):
    """
    ## What it does
    Simulates one training step (forward, loss, backward, optimizer step) on the meta device at
    the spec's batch size, optimizer and precision, adds what the device adds (CUDA context,
    allocator rounding), and flags the model when the peak does not fit in the device's memory
    less the headroom kept free (10 %). The finding lists the breakdown and the remedies that
    would make it fit.

    ## Why is this bad?
    The seed's Anti-pattern 4, "Ignore constraints, optimize later": a 1.5B-parameter model
    designed for a 24 GB GPU needs 6 GB of weights + 6 GB of gradients + 12 GB of Adam state + 8 GB
    of activations = 32 GB and cannot train. Checking memory first is cheap; finding out at the
    first out-of-memory error is not.

    ## Example
    ```python
    archwise check hf:GPT2LMHeadModel --input int64:8x1024 --device rtx-4090 --batch-size 8
    ```

    ## Use instead
    ```python
    # the remedies it lists: mixed precision, activation checkpointing, a smaller batch with
    # gradient accumulation, sharding over GPUs, or a smaller model
    ```

    ## Thresholds
    None: the device's memory and the headroom (`archwise profile --headroom`) decide.

    ## References
    Seed: "Principle: Design for Compute Constraints (Memory Budget)", Anti-pattern 4.
    """

    code = "AW501"
    name = "training-memory-over-device"
    principle = "Principle: Design for Compute Constraints"
    checklist = ("Respect compute constraints",)
    anti_patterns = (4,)
    severity = Severity.ERROR
    needs = ("device",)

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:
        assert ctx.train_profile is not None
        fit, mem = ctx.train_profile.fit, ctx.train_profile.training_memory
        if fit is None or mem is None or fit.fits:
            return
        parts = ", ".join(f"{name.replace('_', ' ')} {fmt_bytes(value)}" for name, value in mem.parts().items() if value)
        working = [r for r in fit.remedies if r.fits]
        batch = (f"the largest batch that fits is {fit.max_batch_size}" if fit.max_batch_size
                 else "not even a batch of 1 fits")
        fixes = tuple(f"{r.name}: {r.detail}" for r in working) or tuple(f"{r.name}: {r.detail}" for r in fit.remedies)
        yield Violation(
            message=f"one training step at batch {fit.batch_size} ({mem.optimizer}, {mem.precision}) needs "
                    f"{fmt_bytes(fit.required_bytes)} on {fit.device_title}, which has {fmt_bytes(fit.usable_bytes)} usable "
                    f"({fit.headroom:.0%} kept free); peak in the {mem.peak_phase}: {parts}; {batch}",
            why="a model that does not fit cannot train; the seed: calculate memory first, then design for the "
                "hardware",
            fixes=fixes or ("use a smaller model",),
            evidence={"required_bytes": fit.required_bytes, "usable_bytes": fit.usable_bytes,
                      "device": fit.device, "batch_size": fit.batch_size, "max_batch_size": fit.max_batch_size,
                      "peak_phase": mem.peak_phase, "breakdown": mem.parts(),
                      "remedies_that_fit": [r.name for r in working]},
        )
