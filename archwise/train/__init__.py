"""Training-time debugging: :class:`Monitor` records a run, :func:`diagnose` reads it, :func:`verify_fixes`
re-runs it with each prescribed setting and measures which helps.

The seed's debugging section (problems 1–4) as detectors with thresholds, evidence and
prescriptions; see :mod:`archwise.train.monitor` and :mod:`archwise.train.detectors`.
"""

from .detectors import DETECTORS, diagnose
from .diagnosis import PROBLEMS, DiagnoseConfig, Diagnosis, Prescription
from .monitor import Monitor
from .record import TrainingRecord, load_record
from .verify import Fix, TrainSetup, verify_fixes
from .verify_result import FixTrial, TrialStatus, VerifyResult

__all__ = ["Monitor", "diagnose", "Diagnosis", "Prescription", "DiagnoseConfig", "TrainingRecord", "load_record",
           "PROBLEMS", "DETECTORS", "verify_fixes", "TrainSetup", "VerifyResult", "FixTrial", "TrialStatus", "Fix"]
