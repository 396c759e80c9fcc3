"""Builders for every family the seed names, registered by name (``archwise zoo`` lists them).

Each model file reads top to bottom like nanoGPT: a config dataclass, the modules in dependency
order, then the registered builders below a ``# ---- builders`` line. Everything above that line
imports only torch (or torch_geometric for graphs), so ``archwise design --emit`` can copy it into
a standalone file.

Example:
    >>> from archwise.design.zoo import create_arch
    >>> create_arch("resnet", depth=20, width=16, num_outputs=10).cfg.depth
    20
"""

from . import classic, densenet, gnn, inception, mlp, mobile, resnet, rnn, transformer, vit  # noqa: F401 (registers)
from .registry import ArchInfo, arch_inputs, arch_params, create_arch, get_arch, list_archs, register_arch

__all__ = ["ArchInfo", "register_arch", "create_arch", "list_archs", "get_arch", "arch_inputs", "arch_params"]
