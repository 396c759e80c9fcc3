"""``archwise profile``: parameters, FLOPs, structure and memory of any PyTorch model, without running it."""

from ._step import LossKind, OptimizerName, Precision
from .api import profile
from .fit import FitReport, MemoryLine, Remedy, ShardingPlan, fit, per_gpu_bytes
from .flops import CONVENTION
from .measure import measure_training_peak
from .memory import InferenceMemory, TrainingMemory, simulate_inference, simulate_training
from .result import SCHEMA, LayerProfile, ModelProfile, ParamStats, SkipConnection, Structure, WeightedLayer

__all__ = [
    "profile", "ModelProfile", "LayerProfile", "ParamStats", "Structure", "SkipConnection", "WeightedLayer",
    "CONVENTION", "SCHEMA", "simulate_training", "simulate_inference", "TrainingMemory", "InferenceMemory",
    "measure_training_peak", "Precision", "OptimizerName", "LossKind", "fit", "FitReport", "MemoryLine", "Remedy",
    "ShardingPlan", "per_gpu_bytes",
]
