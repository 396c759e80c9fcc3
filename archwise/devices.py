"""The device catalog: memory, peak FLOP/s per dtype and memory bandwidth, each with its source.

Datasheet figures are dense (no structured sparsity). Memory sizes are binary (80 GB = 80 GiB),
as nvidia-smi and PyTorch report them. The local CPU is read from this machine (/proc/meminfo)
and, for speed, from ``archwise calibrate``'s measurements when they exist.

Example:
    >>> get_device("h100-sxm").peak_flops["bf16"] / 1e12
    989.4
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping
from typing import Any
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ArchwiseError, did_you_mean

__all__ = ["Device", "get_device", "DEVICES", "local_cpu", "calibration_path", "CUDA_CONTEXT_BYTES"]

GiB = 1 << 30
MiB = 1 << 20

# What a GPU process holds outside PyTorch's allocator: the CUDA context (driver state and the
# kernels loaded lazily since CUDA 11.7).
CUDA_CONTEXT_BYTES = 426 * MiB
CUDA_CONTEXT_SOURCE = ("426 MiB measured with PyTorch 2.10 + CUDA 13 on an RTX 6000 Ada (unslothai/unsloth-zoo#1053); "
                       "PyTorch maintainers report 290-400 MiB with lazy module loading (pytorch/pytorch#86509, #109888)")


@dataclass(frozen=True)
class Device:
    """One target device. ``kind`` is "gpu" or "cpu"."""

    name: str
    title: str
    kind: str
    memory_bytes: int
    peak_flops: Mapping[str, float]  # per dtype: fp32, tf32, bf16, fp16 (FLOP/s, dense)
    bandwidth: float  # bytes/s
    sources: Mapping[str, str]  # where each figure comes from
    compute_capability: tuple[int, int] | None = None
    launch_overhead_s: float = 0.0  # fixed cost per kernel or op
    notes: tuple[str, ...] = field(default_factory=tuple)  # about its speed
    memory_notes: tuple[str, ...] = field(default_factory=tuple)  # about its memory
    curves: Mapping[str, Any] | None = None  # measured rates by problem size (archwise calibrate): this CPU only
    train_op_overhead_s: float = 0.0  # eager cost per dispatched op with autograd recording (this CPU)

    @property
    def is_gpu(self) -> bool:
        return self.kind == "gpu"

    @property
    def cublas_workspace_bytes(self) -> int:
        """PyTorch's default cuBLAS workspace per stream: 32 MiB on Hopper, ``:4096:2:16:8``
        (8 MiB + 128 KiB) elsewhere (aten/src/ATen/cuda/CublasHandlePool.cpp)."""
        if not self.is_gpu:
            return 0
        return 32 * MiB if self.compute_capability and self.compute_capability[0] == 9 else 2 * 4096 * 1024 + 8 * 16 * 1024

    def flops_for(self, dtype: str) -> float:
        """Peak FLOP/s for a dtype name; fp32 matmuls use TF32 tensor cores where PyTorch allows it
        (off by default), so fp32 takes the fp32 figure."""
        if dtype in self.peak_flops:
            return self.peak_flops[dtype]
        return self.peak_flops["fp32"]


_KERNEL_LAUNCH = 5e-6
_KERNEL_LAUNCH_SOURCE = "about 5 µs per kernel launch from eager PyTorch (CUDA kernel launch latency plus dispatcher)"


def _gpu(name: str, title: str, memory_gib: int, flops: dict[str, float], bandwidth: float, cc: tuple[int, int],
         source: str, notes: tuple[str, ...] = (), memory_notes: tuple[str, ...] = ()) -> Device:
    return Device(
        name=name, title=title, kind="gpu", memory_bytes=memory_gib * GiB, peak_flops=flops, bandwidth=bandwidth,
        sources={"memory": source, "peak_flops": source, "bandwidth": source, "launch_overhead": _KERNEL_LAUNCH_SOURCE,
                 "cuda_context": CUDA_CONTEXT_SOURCE},
        compute_capability=cc, launch_overhead_s=_KERNEL_LAUNCH, notes=notes, memory_notes=memory_notes,
    )


T = 1e12
DEVICES: dict[str, Device] = {d.name: d for d in [
    _gpu("h100-sxm", "NVIDIA H100 SXM5 80GB", 80, {"fp32": 66.9 * T, "tf32": 494.7 * T, "bf16": 989.4 * T,
                                                   "fp16": 989.4 * T, "fp8": 1978.9 * T},
         3.35e12, (9, 0), "NVIDIA H100 Tensor Core GPU datasheet (SXM5, dense figures: half the sparse ones)"),
    _gpu("a100-40gb", "NVIDIA A100 SXM4 40GB", 40, {"fp32": 19.5 * T, "tf32": 156 * T, "bf16": 312 * T, "fp16": 312 * T},
         1.555e12, (8, 0), "NVIDIA A100 Tensor Core GPU datasheet (SXM4 40GB)"),
    _gpu("a100-80gb", "NVIDIA A100 SXM4 80GB", 80, {"fp32": 19.5 * T, "tf32": 156 * T, "bf16": 312 * T, "fp16": 312 * T},
         2.039e12, (8, 0), "NVIDIA A100 Tensor Core GPU datasheet (SXM4 80GB)"),
    _gpu("l4", "NVIDIA L4 24GB", 24, {"fp32": 30.3 * T, "tf32": 60 * T, "bf16": 121 * T, "fp16": 121 * T,
                                      "fp8": 242.5 * T},
         300e9, (8, 9), "NVIDIA L4 Tensor Core GPU datasheet (dense: half the sparse figures)"),
    _gpu("t4", "NVIDIA T4 16GB", 16, {"fp32": 8.1 * T, "fp16": 65 * T, "bf16": 8.1 * T},
         320e9, (7, 5), "NVIDIA T4 Tensor Core GPU datasheet",
         notes=("Turing has no bfloat16 tensor cores: bf16 runs at the fp32 rate",)),
    _gpu("rtx-4090", "NVIDIA GeForce RTX 4090 24GB", 24, {"fp32": 82.6 * T, "bf16": 165.2 * T, "fp16": 165.2 * T},
         1008e9, (8, 9), "NVIDIA Ada Lovelace architecture whitepaper, appendix A (tensor FLOPS with FP32 accumulate, "
         "dense, as PyTorch accumulates)"),
    _gpu("jetson-orin", "NVIDIA Jetson AGX Orin 64GB", 64, {"fp32": 5.3 * T, "bf16": 42.5 * T, "fp16": 42.5 * T},
         204.8e9, (8, 7), "NVIDIA Jetson AGX Orin series technical brief (GPU: 2048 CUDA cores and 64 tensor cores at "
         "1.3 GHz; dense fp16 tensor rate is half the sparse one); memory shared with the CPU",
         memory_notes=("memory is shared with the CPU and the operating system: less is free for the model",)),
    Device(
        name="phone-cpu", title="Flagship phone CPU (Snapdragon 8 Gen 2: 1×X3 3.19 GHz, 4×A715/A710 2.8 GHz, 3×A510 2 GHz)",
        kind="cpu", memory_bytes=8 * GiB,
        peak_flops={"fp32": (1 * 3.19 * 32 + 4 * 2.8 * 16 + 3 * 2.0 * 8) * 1e9,
                    "fp16": 2 * (1 * 3.19 * 32 + 4 * 2.8 * 16 + 3 * 2.0 * 8) * 1e9},
        bandwidth=67.2e9,
        sources={
            "memory": "8 GiB of LPDDR5X, a common configuration (an app gets less)",
            "peak_flops": "cores × clock × fp32 FLOP/cycle from NEON FMA width: X3 4×128-bit (32), A715/A710 2×128-bit "
                          "(16), A510 (8); Qualcomm's published clocks; fp16 twice fp32",
            "bandwidth": "LPDDR5X-8400 on a 64-bit bus: 8400 MT/s × 8 bytes",
            "launch_overhead": "10 µs per op from eager PyTorch on a phone-class core",
        },
        launch_overhead_s=10e-6,
    ),
]}


CALIBRATION_VERSION = 2  # 2: convolution backward, 1×1 and depthwise convolutions, per-kernel rates, optimizer steps


def calibration_path() -> Path:
    """Where ``archwise calibrate`` stores its measurements: ``$XDG_CACHE_HOME/archwise`` or ``~/.cache/archwise``."""
    base = os.environ.get("ARCHWISE_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    name = "calibration.json" if os.environ.get("ARCHWISE_CACHE_DIR") else "archwise/calibration.json"
    return Path(base) / name


def _meminfo_total() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def local_cpu() -> Device:
    """This machine's CPU: memory from /proc/meminfo, speed from ``archwise calibrate`` (if run)."""
    calibration = {}
    path = calibration_path()
    if path.exists():
        try:
            calibration = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            calibration = {}
    flops = calibration.get("matmul_flops", {})
    notes: tuple[str, ...] = ()
    if not calibration:
        notes = ("not calibrated: run archwise calibrate for latency predictions",)
    elif calibration.get("version", 1) < CALIBRATION_VERSION:
        notes = ("calibrated by an older archwise, which measured fewer kernels: run archwise calibrate again",)
    return Device(
        name="cpu", title=f"this machine's CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)",
        kind="cpu", memory_bytes=_meminfo_total(),
        peak_flops={"fp32": flops.get("fp32", 0.0), "bf16": flops.get("bf16", flops.get("fp32", 0.0)),
                    "fp16": flops.get("fp16", flops.get("fp32", 0.0))},
        bandwidth=calibration.get("bandwidth", 0.0),
        sources={"memory": "MemTotal in /proc/meminfo",
                 "peak_flops": f"measured by archwise calibrate ({path})" if calibration else "not calibrated",
                 "bandwidth": f"measured by archwise calibrate ({path})" if calibration else "not calibrated",
                 "launch_overhead": "measured by archwise calibrate" if calibration else "not calibrated"},
        launch_overhead_s=calibration.get("op_overhead_s", 0.0),
        notes=notes,
        curves=calibration.get("curves"),
        train_op_overhead_s=calibration.get("train_op_overhead_s", 0.0),
    )


def get_device(name: str) -> Device:
    """A device by catalog name (``h100-sxm``, ``a100-80gb``, …) or ``cpu`` for this machine.

    Example:
        >>> get_device("a100-80gb").memory_bytes // GiB
        80
    """
    key = name.strip().lower()
    if key in ("cpu", "local", "local-cpu"):
        return local_cpu()
    if key in DEVICES:
        return DEVICES[key]
    known = [*DEVICES, "cpu"]
    raise ArchwiseError(f"unknown device '{name}'{did_you_mean(key, known)}; known: {', '.join(known)}")
