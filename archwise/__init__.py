"""archwise: design, profile, check and debug neural network architectures in PyTorch.

Example:
    >>> import torch, archwise
    >>> archwise.profile(torch.nn.Linear(8, 4), [(2, 8)]).params.total
    36
"""

from .errors import ArchwiseError
from .profile import LayerProfile, ModelProfile, ParamStats, SkipConnection, Structure, WeightedLayer, profile
from .spec import InputSpec, parse_input

__version__ = "0.1.0"

__all__ = [
    "profile", "ModelProfile", "LayerProfile", "ParamStats", "Structure", "SkipConnection", "WeightedLayer",
    "InputSpec", "parse_input", "ArchwiseError", "__version__",
]
