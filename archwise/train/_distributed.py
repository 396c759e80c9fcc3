"""The Monitor under ``torch.distributed`` and ``torch.compile``: which modules to hook, what their
layers are called, and how each rank's numbers become one record.

Wrappers are looked through: ``DistributedDataParallel`` and FSDP1's ``FullyShardedDataParallel``
(``.module``), and ``torch.compile``'s ``OptimizedModule`` (``._orig_mod``; ``Module.compile()``
compiles in place and is only noted). FSDP2's ``fully_shard`` changes a module's class in place
(``Linear`` becomes ``FSDPLinear``); the record names the class it had. Layer names lose the wrappers' parts (``module.``, ``_fsdp_wrapped_module.``, ``_orig_mod.``),
so a distributed or compiled run's record lines up with a plain run's.

With a process group of more than one rank the Monitor takes training to be data parallel:

* a parameter held whole on every rank (DDP's; FSDP's ignored or unsharded ones) gives its norm on
  each rank, as it is (DDP has averaged the gradients already, so every rank agrees);
* a sharded parameter (an FSDP2 ``DTensor``, an FSDP1 flat view under ``use_orig_params=True``)
  gives the sum of squares of its local shard, added over the ranks before the square root (an
  element held by k ranks counts 1/k on each);
* step losses and step times are averaged over the ranks; a unit is active when it was active on
  any rank; saturated values and the first batch's sums are added (so the input's scale is the
  global batch's); epoch values are averaged.

Each sampled step (and each ``log_epoch`` and the end of ``with mon:``) costs two ``all_reduce``
calls: a small one that checks that every rank brings the same values, then one that adds them.
"""

from __future__ import annotations

import contextlib
import math
import sys
import zlib
from typing import Any

import torch
from torch import nn

from ..errors import ArchwiseError

__all__ = ["Ranks", "process_group", "unwrap", "compiled", "clean_name", "type_name", "local", "full", "full_view",
           "check_wrapped", "scale_parts", "merge_scale"]


def _class(module: str, name: str) -> type | None:
    """A class from a torch module that is already imported (nothing can be an instance otherwise)."""
    found = sys.modules.get(module)
    return getattr(found, name, None) if found is not None else None


def _fsdp1() -> type | None:
    return _class("torch.distributed.fsdp", "FullyShardedDataParallel")


def unwrap(model: nn.Module) -> tuple[nn.Module, list[str]]:
    """The module the wrappers around ``model`` run, and the wrappers' names (outermost first)."""
    wrappers: list[str] = []
    while True:
        optimized = _class("torch._dynamo.eval_frame", "OptimizedModule")
        ddp = _class("torch.nn.parallel", "DistributedDataParallel")
        fsdp1 = _fsdp1()
        if optimized is not None and isinstance(model, optimized):
            inner = model._orig_mod
        elif (ddp is not None and isinstance(model, ddp)) or (fsdp1 is not None and isinstance(model, fsdp1)):
            inner = model.module
        else:
            break
        wrappers.append(type(model).__name__)
        model = inner
    fsdp2 = _class("torch.distributed.fsdp", "FSDPModule")
    if fsdp2 is not None and any(isinstance(m, fsdp2) for m in model.modules()):
        wrappers.append("fully_shard")
    if any(getattr(m, "_compiled_call_impl", None) is not None for m in model.modules()):
        wrappers.append("Module.compile")
    return model, wrappers


def compiled(model: nn.Module) -> bool:
    """Whether any part of ``model`` runs through ``torch.compile`` (wrapped, or by ``Module.compile()``)."""
    optimized = _class("torch._dynamo.eval_frame", "OptimizedModule")
    return any((optimized is not None and isinstance(m, optimized))
               or getattr(m, "_compiled_call_impl", None) is not None for m in model.modules())


_WRAPPER_PARTS = ("_fsdp_wrapped_module", "_checkpoint_wrapped_module", "_orig_mod")


def clean_name(name: str) -> str:
    """A submodule's name without the parts wrappers insert.

    Example:
        >>> clean_name("layers.0._fsdp_wrapped_module.fc1"), clean_name("_orig_mod")
        ('layers.0.fc1', '')
    """
    return ".".join(part for part in name.split(".") if part not in _WRAPPER_PARTS)


def type_name(module: nn.Module) -> str:
    """The module's class name, the one it had before FSDP2's ``fully_shard`` (``FSDPLinear`` → ``Linear``)."""
    fsdp2 = _class("torch.distributed.fsdp", "FSDPModule")
    cls = type(module)
    if fsdp2 is not None and isinstance(module, fsdp2):
        cls = next((c for c in cls.__mro__ if not issubclass(c, fsdp2)), cls)
    return cls.__name__


def check_wrapped(model: nn.Module) -> None:
    """Refuse FSDP1's flattened parameters: per-layer statistics do not exist in them."""
    if any(getattr(p, "_is_flat_param", False) for p in model.parameters()):
        raise ArchwiseError("the model is wrapped in FullyShardedDataParallel(use_orig_params=False), which flattens "
                            "each unit's parameters into one FlatParameter, so per-layer statistics cannot be taken; "
                            "wrap it with use_orig_params=True, or shard it with FSDP2's fully_shard")


def local(t: torch.Tensor) -> torch.Tensor:
    """A DTensor's local shard (the tensor itself otherwise): what this rank holds, with no communication."""
    dtensor = _class("torch.distributed.tensor", "DTensor")
    return t.to_local() if dtensor is not None and isinstance(t, dtensor) else t


def full(t: torch.Tensor) -> torch.Tensor:
    """A DTensor gathered whole (a collective: every rank must call it, in the same order)."""
    dtensor = _class("torch.distributed.tensor", "DTensor")
    return t.full_tensor() if dtensor is not None and isinstance(t, dtensor) else t


def full_view(model: nn.Module) -> contextlib.AbstractContextManager:
    """FSDP1's parameters whole for the duration (``summon_full_params``, a collective); else nothing."""
    fsdp1 = _fsdp1()
    if fsdp1 is not None and any(isinstance(m, fsdp1) for m in model.modules()):
        return fsdp1.summon_full_params(model, writeback=False)
    return contextlib.nullcontext()


# ---- the ranks ----------------------------------------------------------------------------------

def process_group() -> Ranks | None:
    """The default process group when ``torch.distributed`` runs more than one rank, else ``None``."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return None
    world = torch.distributed.get_world_size()
    return Ranks(world, torch.distributed.get_rank()) if world > 1 else None


class Ranks:
    """The ranks of the default process group, and the two reductions the Monitor needs of them."""

    def __init__(self, world: int, rank: int) -> None:
        self.world = world
        self.rank = rank
        backend = str(torch.distributed.get_backend())
        # NCCL reduces CUDA tensors only; gloo (and the rest) take CPU tensors
        self.device = torch.device("cuda", torch.cuda.current_device()) if "nccl" in backend else torch.device("cpu")
        # the last reduction's tensors stay referenced here (a precaution): a backend's worker thread
        # dropping the finished work then never frees their Python objects, which needs the GIL
        self._held: tuple[torch.Tensor, ...] = ()

    def shard_weights(self, params: list[torch.Tensor], numels: list[int]) -> torch.Tensor | None:
        """Per parameter, what one element's square counts on this rank: 1/k when k ranks hold it and
        k < world (sharded), 0 when every rank holds it whole (read locally); ``None`` when none is sharded.

        ``numels`` are the parameters' whole sizes; what each rank holds is added over the ranks.
        """
        held = torch.tensor([float(local(p).numel()) for p in params], dtype=torch.float64, device=self.device)
        torch.distributed.all_reduce(held)
        self._held = (held,)
        whole = torch.tensor([float(n) for n in numels], dtype=torch.float64, device=self.device)
        copies = torch.where(whole > 0, held / whole.clamp_min(1.0), float(self.world))
        weights = torch.where(copies < self.world - 0.5, 1.0 / copies.clamp_min(1.0), 0.0).cpu()
        return weights if bool((weights > 0).any()) else None

    def add(self, parts: dict[str, torch.Tensor], peak: float = -math.inf) -> tuple[dict[str, torch.Tensor], float]:
        """Each part summed over the ranks (float64, on the CPU), and ``peak``'s maximum over the ranks.

        Every rank must call this at the same point with the same keys and sizes; when they differ,
        every rank raises the same error instead of waiting on the others.
        """
        keys = sorted(parts)
        flat = [parts[k].detach().reshape(-1).to(self.device, torch.float64) for k in keys]
        size = sum(t.numel() for t in flat)
        signature = float(zlib.crc32(";".join(f"{k}:{t.numel()}" for k, t in zip(keys, flat)).encode()))
        check = torch.tensor([size, -size, signature, -signature, peak], dtype=torch.float64, device=self.device)
        torch.distributed.all_reduce(check, op=torch.distributed.ReduceOp.MAX)
        self._held = (check,)
        if float(check[0]) != -float(check[1]) or float(check[2]) != -float(check[3]):
            found = (f"{int(-check[1])} values on one rank, {int(check[0])} on another" if check[0] != -check[1]
                     else "values under different names, such as other log_epoch metrics")
            raise ArchwiseError(f"the ranks disagree on what the Monitor combines here ({found}); expected every rank "
                                "to call Monitor.step and log_epoch (with the same names) and leave `with mon:` "
                                "alike; call them on every rank, not only on rank 0")
        out: dict[str, torch.Tensor] = {}
        if size:
            joined = torch.cat(flat)
            torch.distributed.all_reduce(joined)
            self._held = (check, joined)
            for key, piece in zip(keys, joined.cpu().split([t.numel() for t in flat])):
                out[key] = piece.reshape(parts[key].shape)
        return out, float(check[4])


# ---- the first batch's scale, combined ----------------------------------------------------------

def scale_parts(info: dict[str, Any] | None) -> torch.Tensor:
    """What the ranks add up of a first input's or output's description (see ``Monitor``'s meta):
    rows, values, their sum and their sum of squares, rows that are probability vectors."""
    info = info or {}
    rows = float(info["shape"][0]) if info.get("shape") else 0.0
    n = float(math.prod(info["shape"])) if info.get("shape") else 0.0
    mean, std = info.get("mean"), info.get("std")
    sums = [n * mean, (n - 1) * std ** 2 + n * mean ** 2] if mean is not None and std is not None else [0.0, 0.0]
    return torch.tensor([rows, n, *sums, rows * info.get("probability_rows", 0.0)], dtype=torch.float64)


def merge_scale(info: dict[str, Any] | None, total: torch.Tensor, absmax: float | None = None) -> dict[str, Any] | None:
    """``info`` for the global batch, from :func:`scale_parts` added over the ranks."""
    if not info:
        return info
    rows, n, s1, s2, prob = total.tolist()
    info = dict(info, shape=[int(rows), *info["shape"][1:]]) if info.get("shape") else dict(info)
    if "mean" in info and n > 1:
        mean = s1 / n
        info.update(mean=mean, std=math.sqrt(max(s2 - n * mean ** 2, 0.0) / (n - 1)))
    if "absmax" in info and absmax is not None:
        info["absmax"] = absmax
    if "probability_rows" in info and rows:
        info["probability_rows"] = prob / rows
    return info
