"""Activations called as functions (``F.relu``, ``torch.tanh``, the ReLU inside
``nn.TransformerEncoderLayer``), which module hooks cannot see.

On a sampled step the Monitor runs the forward under :class:`ActivationSpy`, a dispatch mode that
sees every aten op: each ReLU-family or sigmoid/tanh op that does not run inside an activation
module (those have hooks of their own) hands its input to the Monitor, named by the weighted layer
that ran last and its call number in the forward (``fc1 · F.relu #1``). The first sampled forward
names them; later forwards match them by that order. Nothing is changed: every op runs as called.
Recurrent gates inside the fused LSTM/GRU kernels are not separate ops and stay unseen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["ActivationSpy", "FUNCTIONAL"]

_aten = torch.ops.aten
# aten op → (the name a reader knows it by, its kind as the Monitor counts it)
FUNCTIONAL: dict[Any, tuple[str, str]] = {
    _aten.relu.default: ("relu", "relu"), _aten.relu_.default: ("relu", "relu"),
    _aten.leaky_relu.default: ("leaky_relu", "relu"), _aten.leaky_relu_.default: ("leaky_relu", "relu"),
    _aten.elu.default: ("elu", "relu"),  # (GELU and SiLU pass gradient below 0: no unit of theirs is "dead")
    _aten.tanh.default: ("tanh", "saturating"), _aten.tanh_.default: ("tanh", "saturating"),
    _aten.sigmoid.default: ("sigmoid", "saturating"), _aten.sigmoid_.default: ("sigmoid", "saturating"),
    _aten.hardtanh.default: ("hardtanh", "saturating"),
}


class ActivationSpy(TorchDispatchMode):
    """Calls ``seen(op_name, kind, x)`` for each functional activation's input ``x``, then runs the op.

    ``skip()`` says when the op runs inside an activation module (already hooked)."""

    def __init__(self, seen: Callable[[str, str, torch.Tensor], None], skip: Callable[[], bool]) -> None:
        super().__init__()
        self.seen = seen
        self.skip = skip

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        kwargs = kwargs or {}
        known = FUNCTIONAL.get(func)
        if known is not None and args and isinstance(args[0], torch.Tensor) and not self.skip():
            x = args[0]
            if x.is_floating_point() and x.numel() and x.device.type != "meta":
                # in-place ops overwrite their input: look before the op runs
                self.seen(known[0], known[1], x.detach())
        return func(*args, **kwargs)
