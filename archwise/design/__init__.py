"""``archwise design``: the seed's decision tree, sizing to budgets, builders and code emission.

So far: the decision tree (``decide``), which ``archwise check`` also reads.
"""

from .decide import FAMILIES, Decision, TreeThresholds, decide

__all__ = ["decide", "Decision", "TreeThresholds", "FAMILIES"]
