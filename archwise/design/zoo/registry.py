"""The builder registry, in the style of timm's ``@register_model`` / ``create_model`` / ``list_models``.

A builder is a decorated function whose name is the architecture's name. It takes the sizes
sizing searches over (depth, width, …) and the problem's shape (``in_chans``, ``in_features``,
``num_outputs``, …) as keyword arguments with defaults, and returns a model: an ``nn.Module`` for
``kind="torch"``, a scikit-learn-style estimator for ``kind="sklearn"``.

Beside the builder, each entry carries what the conformance suite and ``archwise design`` need:

- ``params``: the closed-form parameter count for the same keyword arguments (a formula written
  from the architecture, not from the built model), and
- ``inputs``: the inputs one forward takes at a batch size, as shapes or ``"int64:…"`` strings
  (what ``archwise.profile`` accepts).
- ``test_sizes``: two keyword sets, small and larger, the conformance suite builds.

Example:
    >>> from archwise.design.zoo import create_arch, list_archs
    >>> "resnet" in list_archs()
    True
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...errors import ArchwiseError, did_you_mean

__all__ = ["ArchInfo", "register_arch", "create_arch", "list_archs", "get_arch", "arch_inputs", "arch_params"]


@dataclass(frozen=True)
class ArchInfo:
    """One registered architecture."""

    name: str
    family: str  # a key of archwise.design.FAMILIES, or "boosting" (gradient-boosted trees)
    kind: str  # "torch" (an nn.Module) or "sklearn" (an estimator with fit/predict)
    builder: Callable[..., Any]
    params: Callable[..., int]  # closed-form parameter count from the builder's keyword arguments
    inputs: Callable[..., list[Any]] | None  # (batch, **kwargs) → inputs for one forward (torch only)
    test_sizes: tuple[dict[str, Any], ...]  # two keyword sets the conformance suite builds
    needs: tuple[str, ...] = ()  # optional packages beyond torch: ("torch_geometric",), ("sklearn",)
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        doc = inspect.getdoc(self.builder) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""


_REGISTRY: dict[str, ArchInfo] = {}


def register_arch(*, family: str, params: Callable[..., int], inputs: Callable[..., list[Any]] | None = None,
                  test_sizes: tuple[dict[str, Any], ...] = ({}, {}), kind: str = "torch",
                  needs: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a builder under its function name.

    ``params`` and ``inputs`` are called with the builder's full keyword arguments (defaults
    filled in), so they can use any of them.
    """
    if kind not in ("torch", "sklearn"):
        raise ValueError(f"kind must be 'torch' or 'sklearn', found {kind!r}")
    if kind == "torch" and inputs is None:
        raise ValueError("a torch builder needs inputs=(batch, **kwargs) → input shapes")

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        name = fn.__name__
        if name in _REGISTRY:
            raise ValueError(f"architecture '{name}' is registered twice")
        defaults = {k: p.default for k, p in inspect.signature(fn).parameters.items()
                    if p.default is not inspect.Parameter.empty}
        _REGISTRY[name] = ArchInfo(name, family, kind, fn, params, inputs, tuple(test_sizes), needs, defaults)
        return fn

    return wrap


def list_archs(family: str | None = None) -> list[str]:
    """Registered architecture names, sorted; only one family's with ``family``."""
    return sorted(n for n, a in _REGISTRY.items() if family is None or a.family == family)


def get_arch(name: str) -> ArchInfo:
    """The entry for ``name``; an unknown name fails with the close matches."""
    key = name.strip().lower().replace("-", "_")
    if key not in _REGISTRY:
        raise ArchwiseError(f"unknown architecture '{name}'; known: {', '.join(list_archs())}"
                            f"{did_you_mean(key, _REGISTRY)}; archwise zoo lists them")
    return _REGISTRY[key]


def _full_kwargs(info: ArchInfo, kwargs: dict[str, Any]) -> dict[str, Any]:
    given = {k: v for k, v in kwargs.items() if v is not None}  # timm: None means "the default"
    unknown = sorted(set(given) - set(info.defaults))
    if unknown:
        raise ArchwiseError(f"{info.name} takes no argument {', '.join(repr(u) for u in unknown)}; it takes "
                            f"{', '.join(info.defaults)}{did_you_mean(unknown[0], info.defaults)}")
    return {**info.defaults, **given}


def create_arch(name: str, **kwargs: Any) -> Any:
    """Build a registered architecture; keyword arguments that are ``None`` keep their defaults.

    Example:
        >>> m = create_arch("mlp", in_features=20, hidden=64, depth=2, num_outputs=3)
        >>> sum(p.numel() for p in m.parameters()) == arch_params("mlp", in_features=20, hidden=64, depth=2, num_outputs=3)
        True
    """
    info = get_arch(name)
    full = _full_kwargs(info, kwargs)
    try:
        return info.builder(**full)
    except (ValueError, AssertionError) as err:
        raise ArchwiseError(f"cannot build {info.name} with {full}: {err}") from None


def arch_params(name: str, **kwargs: Any) -> int:
    """The closed-form parameter count of ``name`` at these arguments."""
    info = get_arch(name)
    return int(info.params(**_full_kwargs(info, kwargs)))


def arch_inputs(name: str, batch: int = 1, **kwargs: Any) -> list[Any]:
    """The inputs one forward of ``name`` takes at ``batch`` (shapes as ``archwise.profile`` reads them)."""
    info = get_arch(name)
    if info.inputs is None:
        raise ArchwiseError(f"{info.name} is a {info.kind} estimator, not a torch model: it has no forward to profile")
    return info.inputs(batch, **_full_kwargs(info, kwargs))
