"""``archwise design``: the seed's decision tree, sizing to budgets, builders and code emission.

    decide.py     the seed's decision tree (also read by ``archwise check``)
    space.py      each family's grid of depths, widths and stage layouts
    size.py       evaluate candidates against every budget, choose, name the binding constraint
    explain.py    the rationale, by seed section, with the numbers
    recommend.py  ``design(spec) -> Recommendation``
    emit.py       the recommendation as a standalone model file
    zoo/          the registered builders
"""

import sys
import types

from .decide import EDGE_DEVICES, FAMILIES, Decision, TreeThresholds, decide
from .recommend import Alternative, DesignSettings, Recommendation, Reference, design
from .zoo import arch_inputs, arch_params, create_arch, get_arch, list_archs, register_arch

__all__ = ["decide", "Decision", "TreeThresholds", "FAMILIES", "EDGE_DEVICES", "design", "Recommendation",
           "DesignSettings", "Alternative", "Reference", "create_arch", "list_archs", "get_arch", "arch_params",
           "arch_inputs", "register_arch"]


class _CallableModule(types.ModuleType):
    """``archwise.design`` is this package and, called, the ``design`` function: ``archwise.design(spec)``.

    (Binding the function over the package's name would break whenever a submodule is imported
    afresh, since the import system sets the package attribute again.)
    """

    def __call__(self, spec, settings=None):  # noqa: ANN001, ANN204
        return design(spec, settings)


sys.modules[__name__].__class__ = _CallableModule
