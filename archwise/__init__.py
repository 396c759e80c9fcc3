"""archwise: design, profile, check and debug neural network architectures in PyTorch.

Example:
    >>> import torch, archwise
    >>> archwise.profile(torch.nn.Linear(8, 4), [(2, 8)]).params.total
    36
"""

from .errors import ArchwiseError
from .profile import (
    InferenceMemory, LayerProfile, ModelProfile, ParamStats, SkipConnection, Structure, TrainingMemory, WeightedLayer,
    measure_training_peak, profile, simulate_inference, simulate_training,
)
from .spec import InputSpec, parse_input

__version__ = "0.1.0"

__all__ = [
    "profile", "simulate_training", "simulate_inference", "measure_training_peak", "TrainingMemory",
    "InferenceMemory", "ModelProfile", "LayerProfile", "ParamStats", "Structure", "SkipConnection", "WeightedLayer",
    "InputSpec", "parse_input", "ArchwiseError", "__version__",
]
