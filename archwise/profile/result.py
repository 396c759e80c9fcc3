"""The result of ``archwise.profile``: plain frozen dataclasses, and their JSON form.

JSON schema ``archwise.profile/1`` (documented in the README; later versions only add keys):

    model, inputs, method ("meta" | "real"), notes,
    params.{total, trainable, bytes},
    flops.{forward, backward, convention}, macs.{forward, backward},
    structure.{depth, widths, skip_connections[{kind, from, to, spans, projection}],
               families, longest_path, weighted_layers[{path, kind, width, layers}]},
    layers[{path, type, output_shape, params, flops, flops_backward, calls, tied_to}],
    flops_by_op{op: {forward, backward}}
    unused_parameters[{name, elements}]
    memory.training.{peak_bytes, weights, weight_copies, gradients, optimizer_state, activations, transient,
                     peak_phase, phases, optimizer, precision, checkpointing, target, allocator_rounding, notes}
    memory.inference.{peak_bytes, weights, activations, kv_cache_bytes, precision, target, notes}
    fit.{device, device_title, mode, capacity_bytes, headroom, usable_bytes, lines[{name, bytes, source}],
         required_bytes, fits, batch_size, max_batch_size, remedies[{name, detail, required_bytes, fits}],
         gpus, sharding, per_gpu_bytes, plans[{strategy, gpus, per_gpu_bytes, fits, fewest_gpus}], notes}
    latency.{device, batch_size, predicted_ms, predicted_train_step_ms, optimizer_ms, throughput_samples_per_s,
             compute_bound_share, measured_ms, measured_train_step_ms, local_predicted_ms,
             local_predicted_train_step_ms, per_layer[{path, forward_ms, backward_ms}], notes}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fit import FitReport
from .flops import CONVENTION
from .latency import LatencyReport
from .memory import InferenceMemory, TrainingMemory
from .structure import SkipConnection, Structure, WeightedLayer

__all__ = ["ModelProfile", "LayerProfile", "ParamStats", "Structure", "SkipConnection", "WeightedLayer", "SCHEMA"]

SCHEMA = "archwise.profile/1"


@dataclass(frozen=True)
class ParamStats:
    total: int  # every parameter once, however many modules share it
    trainable: int  # those with requires_grad
    bytes: int  # their storage at their own dtypes


@dataclass(frozen=True)
class LayerProfile:
    """One row of the per-layer table: a module and what it does itself (not its children).

    A row exists for every module that owns parameters or runs ops that cost FLOPs, and for
    every leaf module that ran, so the rows' params and FLOPs add up to the model's totals.
    """

    path: str  # "" for the model itself
    type: str
    output_shape: tuple[int, ...] | None  # first tensor of its last call's output
    params: int  # parameters it owns directly (a shared one counts at its first owner)
    flops_forward: int
    flops_backward: int
    calls: int  # times it ran in the forward (0: never ran)
    tied_to: tuple[str, ...] = ()  # "weight=transformer.wte": parameters it uses that another module owns


@dataclass(frozen=True)
class ModelProfile:
    """Parameters, FLOPs and structure of one model at given inputs.

    Example:
        >>> import torch, archwise
        >>> p = archwise.profile(torch.nn.Linear(8, 4), [(2, 8)])
        >>> p.params.total, p.macs_forward, p.structure.depth
        (36, 64, 1)
    """

    model: str
    inputs: tuple[str, ...]
    params: ParamStats
    flops_forward: int
    flops_backward: int
    layers: tuple[LayerProfile, ...]
    structure: Structure
    method: str  # "meta": shapes only, nothing allocated; "real": a real run on the CPU
    notes: tuple[str, ...] = ()
    flops_by_op: dict[str, tuple[int, int]] = field(default_factory=dict)
    training_memory: TrainingMemory | None = None  # with train=True
    inference_memory: InferenceMemory | None = None  # with a device, a memory size, train or seq_len
    fit: FitReport | None = None  # with a device or a memory size
    latency: LatencyReport | None = None  # with a device (predicted) or measure (measured on this CPU)
    unused_parameters: tuple[tuple[str, int], ...] = ()  # (name, elements) of parameters no forward op read

    @property
    def macs_forward(self) -> int:
        return self.flops_forward // 2

    @property
    def macs_backward(self) -> int:
        return self.flops_backward // 2

    def to_dict(self) -> dict[str, Any]:
        s = self.structure
        return {
            "schema": SCHEMA,
            "model": self.model,
            "inputs": list(self.inputs),
            "method": self.method,
            "notes": list(self.notes),
            "params": {"total": self.params.total, "trainable": self.params.trainable, "bytes": self.params.bytes},
            "flops": {"forward": self.flops_forward, "backward": self.flops_backward, "convention": CONVENTION},
            "macs": {"forward": self.macs_forward, "backward": self.macs_backward},
            "structure": {
                "depth": s.depth,
                "widths": s.widths,
                "skip_connections": [
                    {"kind": k.kind, "from": k.start, "to": k.end, "spans": k.spans, "projection": k.projection}
                    for k in s.skip_connections
                ],
                "families": list(s.families),
                "longest_path": list(s.longest_path),
                "weighted_layers": [
                    {"path": w.path, "kind": w.kind, "width": w.width, "layers": w.layers} for w in s.weighted_layers
                ],
            },
            "layers": [
                {
                    "path": r.path, "type": r.type,
                    "output_shape": list(r.output_shape) if r.output_shape is not None else None,
                    "params": r.params, "flops": r.flops_forward, "flops_backward": r.flops_backward,
                    "calls": r.calls, "tied_to": list(r.tied_to),
                }
                for r in self.layers
            ],
            "flops_by_op": {op: {"forward": f, "backward": b} for op, (f, b) in self.flops_by_op.items()},
            "unused_parameters": [{"name": n, "elements": k} for n, k in self.unused_parameters],
            **self._memory_dict(),
        }

    def _memory_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.training_memory or self.inference_memory:
            out["memory"] = {
                "training": self.training_memory.to_dict() if self.training_memory else None,
                "inference": self.inference_memory.to_dict() if self.inference_memory else None,
            }
        if self.fit is not None:
            out["fit"] = self.fit.to_dict()
        if self.latency is not None:
            out["latency"] = self.latency.to_dict()
        return out
