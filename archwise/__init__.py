"""archwise: design, profile, check and debug neural network architectures in PyTorch.

Example:
    >>> import torch, archwise
    >>> archwise.profile(torch.nn.Linear(8, 4), [(2, 8)]).params.total
    36
"""

from .devices import DEVICES, Device, get_device
from . import design  # the subpackage, callable: archwise.design(spec) -> Recommendation
from .design import DesignSettings, Recommendation, create_arch, list_archs, register_arch
from .errors import ArchwiseError
from .profile import (
    FitReport, InferenceMemory, LayerProfile, ModelProfile, ParamStats, SkipConnection, Structure, TrainingMemory, WeightedLayer,
    fit, measure_training_peak, profile, simulate_inference, simulate_training,
)
from .problem import ProblemSpec
from .rules import CheckConfig, CheckReport, Finding, Severity, check, check_report
from .spec import InputSpec, parse_input
from .train import (
    DiagnoseConfig, Diagnosis, FixTrial, Monitor, Prescription, TrainingRecord, TrainSetup, VerifyResult, diagnose, load_record,
    verify_fixes,
)

__version__ = "0.1.0"

from . import ladder  # noqa: E402  (the subpackage, callable: archwise.ladder("digits") -> LadderResult)
from .ladder import LadderResult  # noqa: E402
from .report.document import build_report, write_report  # noqa: E402

__all__ = [
    "profile", "fit", "FitReport", "simulate_training", "simulate_inference", "measure_training_peak", "TrainingMemory",
    "InferenceMemory", "ModelProfile", "LayerProfile", "ParamStats", "Structure", "SkipConnection", "WeightedLayer",
    "design", "Recommendation", "DesignSettings", "create_arch", "list_archs", "register_arch",
    "check", "check_report", "CheckReport", "CheckConfig", "Finding", "Severity", "ProblemSpec",
    "Monitor", "diagnose", "Diagnosis", "Prescription", "DiagnoseConfig", "TrainingRecord", "load_record",
    "verify_fixes", "TrainSetup", "VerifyResult", "FixTrial",
    "ladder", "LadderResult", "write_report", "build_report", "Device", "DEVICES", "get_device", "InputSpec", "parse_input", "ArchwiseError", "__version__",
]
