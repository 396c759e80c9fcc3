"""``archwise profile``: parameters, FLOPs and structure of any PyTorch model, on the meta device."""

from .api import profile
from .flops import CONVENTION
from .result import SCHEMA, LayerProfile, ModelProfile, ParamStats, SkipConnection, Structure, WeightedLayer

__all__ = [
    "profile", "ModelProfile", "LayerProfile", "ParamStats", "Structure", "SkipConnection", "WeightedLayer",
    "CONVENTION", "SCHEMA",
]
