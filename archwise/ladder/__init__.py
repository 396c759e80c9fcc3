"""``archwise ladder``: the seed's "start simple" as a reproducible experiment on the user's data.

    data.py      tables, .npz arrays and bundled datasets → Dataset (modality and task inferred)
    prepare.py   one fixed, hashed split; scaling and gap-filling fitted on its training part
    rungs.py     linear → MLP(128) → MLP(256, 256) → design's family → LightGBM (tables)
    fit.py       one job: a rung at a learning rate and seed, early-stopped, watched by Monitor
    execute.py   in this process, a local process pool, or Ray tasks
    rule.py      keep a rung only when it beats the best simpler one by the threshold and the noise
    run.py       ``ladder(...) -> LadderResult``: the phases, resume, the output folder
    plot.py      test score against parameters
"""

from .data import BUNDLED, Dataset, load_data
from .fit import TrainSettings
from .prepare import Prepared, prepare
from .rule import Verdict, judge
from .rungs import Rung, plan_rungs
from .run import SCHEMA, LadderResult, RungResult, ladder, write_model

__all__ = ["ladder", "write_model", "LadderResult", "RungResult", "load_data", "Dataset", "BUNDLED", "prepare", "Prepared",
           "plan_rungs", "Rung", "judge", "Verdict", "TrainSettings", "SCHEMA"]


import sys as _sys
import types as _types


class _CallableModule(_types.ModuleType):
    """``archwise.ladder`` is this package and, called, the ``ladder`` function: ``archwise.ladder("digits")``."""

    def __call__(self, data, **options):  # noqa: ANN001, ANN003, ANN204
        return ladder(data, **options)


_sys.modules[__name__].__class__ = _CallableModule
