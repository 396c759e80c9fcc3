"""slow_step: where a step's time goes (the seed's problem 4): data-bound steps, or a backward pass
far longer than the forward."""

from __future__ import annotations

import statistics

from ..diagnosis import DiagnoseConfig, Diagnosis, Prescription, Severity, fmt, pct
from ..record import TrainingRecord
from ._signals import Signals

PROBLEM = "slow_step"


def detect(record: TrainingRecord, cfg: DiagnoseConfig, sig: Signals) -> Diagnosis | None:
    timed = [s.time for s in record.steps[2:] if s.time and s.time.get("total", 0) > 0]
    if len(timed) < cfg.min_steps:
        return None
    med = {k: statistics.median(t.get(k, 0.0) for t in timed) for k in ("total", "data", "forward", "backward",
                                                                      "optimizer")}
    total = med["total"]
    data_share = med["data"] / total
    evidence = {f"median_{k}_s": v for k, v in med.items()}
    evidence["data_share"] = data_share
    if data_share >= cfg.slow_data:
        summary = (f"data loading takes {pct(data_share)} of the median step ({fmt(1e3 * med['data'])} of "
                   f"{fmt(1e3 * total)} ms): the model waits for data")
        prescriptions = (Prescription("faster_data_loading", "load data in parallel: DataLoader(num_workers=N, "
                                      "pin_memory=True, persistent_workers=True), and move decoding/augmentation "
                                      "off the main process"),
                         Prescription("increase_batch_size", "use larger batches, so the per-batch overhead is "
                                      "paid less often"))
        return Diagnosis(PROBLEM, Severity.WARNING, summary, evidence, prescriptions)
    if med["forward"] > 0 and med["backward"] / med["forward"] >= cfg.slow_backward:
        ratio = med["backward"] / med["forward"]
        evidence["backward_over_forward"] = ratio
        summary = (f"backward takes {fmt(ratio)}× the forward ({fmt(1e3 * med['backward'])} vs "
                   f"{fmt(1e3 * med['forward'])} ms; about 2× is usual): gradient computation is the bottleneck")
        prescriptions = (Prescription("mixed_precision", "use mixed precision (torch.autocast with bf16, or fp16 with "
                                      "a GradScaler)"),
                         Prescription("reduce_batch_size", "reduce the batch size if memory-bound"),
                         Prescription("gradient_accumulation", "use gradient accumulation to keep the effective "
                                      "batch while the per-step batch is smaller"),
                         Prescription("simplify_architecture", "simplify the architecture (fewer layers)"))
        return Diagnosis(PROBLEM, Severity.INFO, summary, evidence, prescriptions)
    return None
