"""Parsing the units users type: input shapes and dtypes.

One grammar serves the CLI and the Python API, so ``--input int64:1x128`` and
``inputs=["int64:1x128"]`` mean the same thing:

    [DTYPE:]DIMxDIMx...[:LOW..HIGH]

``DTYPE`` defaults to ``float32``. ``LOW..HIGH`` (integers only) fills the tensor with values
drawn from ``[LOW, HIGH)`` when a real run is needed; without it integer inputs are zeros,
which are valid token ids and node indices.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import torch

from .errors import ArchwiseError, did_you_mean

__all__ = ["InputSpec", "parse_dtype", "parse_input", "normalize_inputs", "DTYPES", "parse_bytes", "parse_duration", "parse_budget",
           "with_batch", "parse_enum"]

DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32, "float": torch.float32, "fp32": torch.float32,
    "float16": torch.float16, "half": torch.float16, "fp16": torch.float16,
    "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
    "float64": torch.float64, "double": torch.float64, "fp64": torch.float64,
    "int64": torch.int64, "long": torch.int64,
    "int32": torch.int32, "int": torch.int32,
    "int16": torch.int16, "int8": torch.int8, "uint8": torch.uint8,
    "bool": torch.bool,
    "complex64": torch.complex64,
}
_CANONICAL = {v: k for k, v in reversed(list(DTYPES.items()))}  # first name listed wins

_FORMAT_HELP = "expected [DTYPE:]DIMxDIMx...[:LOW..HIGH], such as 1x3x224x224 or int64:1x128"


@dataclass(frozen=True)
class InputSpec:
    """One model input: its shape (with the batch dimension), dtype and, optionally, a value range.

    Example:
        >>> InputSpec((1, 128), torch.int64).describe()
        'int64:1x128'
    """

    shape: tuple[int, ...]
    dtype: torch.dtype = torch.float32
    low: int | None = None
    high: int | None = None
    name: str | None = None  # keyword argument name, or None for a positional input

    def describe(self) -> str:
        dims = "x".join(str(d) for d in self.shape) or "scalar"
        text = dims if self.dtype == torch.float32 else f"{dtype_name(self.dtype)}:{dims}"
        if self.low is not None:
            text += f":{self.low}..{self.high}"
        return f"{self.name}={text}" if self.name else text

    def meta(self) -> torch.Tensor:
        return torch.empty(self.shape, dtype=self.dtype, device="meta")

    def real(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """A CPU tensor of this spec: normal floats, zeros (or values in [low, high)) for ints."""
        if self.dtype.is_floating_point or self.dtype.is_complex:
            return torch.randn(self.shape, dtype=self.dtype, generator=generator)
        if self.dtype == torch.bool:
            return torch.ones(self.shape, dtype=torch.bool)
        if self.low is not None:
            return torch.randint(self.low, self.high, self.shape, dtype=self.dtype, generator=generator)
        return torch.zeros(self.shape, dtype=self.dtype)


def dtype_name(dtype: torch.dtype) -> str:
    return _CANONICAL.get(dtype, str(dtype).removeprefix("torch."))


def parse_dtype(text: str) -> torch.dtype:
    """``"int64"`` → ``torch.int64``; unknown names fail with the known ones listed.

    Example:
        >>> parse_dtype("bf16")
        torch.bfloat16
    """
    key = text.strip().lower().removeprefix("torch.")
    if key in DTYPES:
        return DTYPES[key]
    raise ArchwiseError(
        f"unknown dtype '{text}'{did_you_mean(key, DTYPES)}; known: {', '.join(_unique_dtype_names())}"
    )


def _unique_dtype_names() -> list[str]:
    return list(dict.fromkeys(_CANONICAL[d] for d in DTYPES.values()))


def parse_input(text: str) -> InputSpec:
    """Parse ``[DTYPE:]DIMxDIM...[:LOW..HIGH]``; a malformed text fails with one clear line.

    Example:
        >>> parse_input("int64:2x500:0..100")
        InputSpec(shape=(2, 500), dtype=torch.int64, low=0, high=100, name=None)
    """
    raw = text
    text = text.strip()
    name = None
    if "=" in text:
        name, text = (part.strip() for part in text.split("=", 1))
        if not name.isidentifier():
            raise ArchwiseError(f"cannot parse input '{raw}': '{name}' is not a valid argument name; {_FORMAT_HELP}")
    parts = text.split(":")
    if len(parts) > 3 or not text:
        raise ArchwiseError(f"cannot parse input '{raw}': {_FORMAT_HELP}")
    dtype = torch.float32
    if len(parts) >= 2 and not _looks_like_shape(parts[0]):
        dtype = parse_dtype(parts[0])
        parts = parts[1:]
    shape = _parse_shape(parts[0], raw)
    low = high = None
    if len(parts) == 2:
        low, high = _parse_range(parts[1], raw)
        if dtype.is_floating_point or dtype == torch.bool:
            raise ArchwiseError(f"cannot parse input '{raw}': a value range applies to integer dtypes only, found {dtype_name(dtype)}")
    elif len(parts) > 2:
        raise ArchwiseError(f"cannot parse input '{raw}': {_FORMAT_HELP}")
    return InputSpec(shape, dtype, low, high, name)


def _looks_like_shape(text: str) -> bool:
    return bool(text) and all(ch.isdigit() or ch in "x×" for ch in text.strip())


def _parse_shape(text: str, raw: str) -> tuple[int, ...]:
    dims = []
    for piece in text.replace("×", "x").split("x"):
        piece = piece.strip()
        if not piece.isdigit() or int(piece) == 0:
            raise ArchwiseError(f"cannot parse input '{raw}': '{piece}' is not a positive integer; {_FORMAT_HELP}")
        dims.append(int(piece))
    return tuple(dims)


def _parse_range(text: str, raw: str) -> tuple[int, int]:
    pieces = text.split("..")
    try:
        low, high = (int(p) for p in pieces)
    except ValueError:
        raise ArchwiseError(f"cannot parse input '{raw}': value range '{text}' should be LOW..HIGH, such as 0..100") from None
    if high <= low:
        raise ArchwiseError(f"cannot parse input '{raw}': value range '{text}' is empty; HIGH must exceed LOW")
    return low, high


def _is_shape(obj: Any) -> bool:
    return isinstance(obj, torch.Size) or (
        isinstance(obj, (tuple, list)) and len(obj) > 0 and all(isinstance(d, int) and not isinstance(d, bool) for d in obj)
    )


def _is_pair(obj: Any) -> bool:
    """A ``(shape, dtype)`` pair, the dtype given as ``torch.dtype`` or a known name."""
    if not (isinstance(obj, (tuple, list)) and len(obj) == 2 and _is_shape(obj[0])):
        return False
    dtype = obj[1]
    return isinstance(dtype, torch.dtype) or (isinstance(dtype, str) and dtype.strip().lower().removeprefix("torch.") in DTYPES)


def _one(obj: Any, name: str | None = None) -> InputSpec | torch.Tensor:
    if isinstance(obj, torch.Tensor):
        return obj
    if isinstance(obj, InputSpec):
        return obj
    if isinstance(obj, str):
        spec = parse_input(obj)
    elif _is_shape(obj):
        spec = InputSpec(tuple(int(d) for d in obj))
    elif _is_pair(obj):
        dtype = obj[1] if isinstance(obj[1], torch.dtype) else parse_dtype(obj[1])
        spec = InputSpec(tuple(int(d) for d in obj[0]), dtype)
    else:
        raise ArchwiseError(
            f"cannot use {type(obj).__name__} {obj!r:.60} as a model input; expected a tensor, a shape such as "
            "(1, 3, 224, 224), a (shape, dtype) pair, or a string such as 'int64:1x128'"
        )
    if any(d <= 0 for d in spec.shape):
        raise ArchwiseError(f"input shape {spec.shape} has a dimension that is not positive; every dimension must be ≥ 1")
    if name is not None:
        spec = InputSpec(spec.shape, spec.dtype, spec.low, spec.high, name)
    return spec


def normalize_inputs(inputs: Any) -> tuple[list[InputSpec | torch.Tensor], dict[str, InputSpec | torch.Tensor]]:
    """Split what users pass as ``inputs`` into positional and keyword model inputs.

    Accepts one tensor, shape, ``(shape, dtype)`` pair or spec string; a list of them
    (positional inputs); or a mapping from argument name to one of them (keyword inputs).
    Specs whose text has a ``name=`` prefix become keyword inputs.

    Example:
        >>> args, kwargs = normalize_inputs([(1, 3, 32, 32)])
        >>> args[0].shape, kwargs
        ((1, 3, 32, 32), {})
    """
    if isinstance(inputs, Mapping):
        return [], {str(k): _one(v, str(k)) for k, v in inputs.items()}
    if isinstance(inputs, torch.Tensor) or isinstance(inputs, (str, InputSpec)) or _is_shape(inputs):
        items: Sequence[Any] = [inputs]
    elif _is_pair(inputs):
        items = [inputs]
    elif isinstance(inputs, (tuple, list)):
        items = list(inputs)
    else:
        items = [inputs]
    if not items:
        raise ArchwiseError("no model inputs given; pass at least one, such as --input 1x3x224x224")
    args: list[InputSpec | torch.Tensor] = []
    kwargs: dict[str, InputSpec | torch.Tensor] = {}
    for item in items:
        spec = _one(item)
        if isinstance(spec, InputSpec) and spec.name:
            kwargs[spec.name] = spec
        elif kwargs:
            raise ArchwiseError("a positional input follows a named one; put positional inputs first")
        else:
            args.append(spec)
    return args, kwargs


_BYTE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
               "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40}
_TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0,
               "mins": 60.0, "minute": 60.0, "minutes": 60.0, "h": 3600.0, "hour": 3600.0, "hours": 3600.0}


def _split_number(text: str) -> tuple[float, str] | None:
    text = text.strip().replace("_", "")
    i = 0
    while i < len(text) and (text[i].isdigit() or text[i] == "."):
        i += 1
    try:
        return float(text[:i]), text[i:].strip().lower()
    except ValueError:
        return None


def parse_bytes(text: str | int) -> int:
    """A memory size: ``"24GB"``, ``"24 GiB"``, ``"24gb"``, ``"512MiB"`` or a number of bytes.

    Units are binary (GB = GiB = 2**30 bytes), as nvidia-smi and PyTorch report GPU memory.

    Example:
        >>> parse_bytes("24GB") == parse_bytes("24 GiB") == parse_bytes("24gb") == 24 * 2**30
        True
    """
    if isinstance(text, int):
        return text
    parsed = _split_number(str(text))
    if parsed is None or parsed[1] not in _BYTE_UNITS or parsed[0] <= 0:
        raise ArchwiseError(f"cannot read memory size '{text}'; expected a positive number with a unit such as 24GB, "
                            "24GiB, 512MB or 80gb (binary units: GB = GiB)")
    return int(parsed[0] * _BYTE_UNITS[parsed[1]])


def parse_duration(text: str | float) -> float:
    """A duration in seconds: ``"100ms"``, ``"2 s"``, ``"250us"``, ``"5m"``, ``"1.5h"``.

    Example:
        >>> parse_duration("100ms"), parse_duration("2m"), parse_duration("1.5h")
        (0.1, 120.0, 5400.0)
    """
    if isinstance(text, (int, float)):
        return float(text)
    parsed = _split_number(str(text))
    if parsed is None or parsed[1] not in _TIME_UNITS or parsed[0] <= 0:
        raise ArchwiseError(f"cannot read duration '{text}'; expected a positive number with a unit: ns, us, ms, s, "
                            "m (min) or h (such as 100ms)")
    return parsed[0] * _TIME_UNITS[parsed[1]]


def parse_budget(value: float | str, option: str = "--budget") -> float:
    """A time budget in seconds from ``60``, ``"60"``, ``"60s"``, ``"5m"``, ``"5min"`` or ``"1h"`` (a bare number
    is seconds; units as :func:`parse_duration`); anything else fails naming ``option``.

    Example:
        >>> parse_budget("90s"), parse_budget("2m"), parse_budget("1.5h"), parse_budget(30), parse_budget("45")
        (90.0, 120.0, 5400.0, 30.0, 45.0)
    """
    try:
        seconds = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        try:
            seconds = parse_duration(str(value))
        except ArchwiseError:
            seconds = math.nan
    if not seconds > 0 or not math.isfinite(seconds):
        raise ArchwiseError(f"{option} must be a positive time such as 60s, 5m or 1h; found '{value}'")
    return seconds


def with_batch(items: Sequence[InputSpec | torch.Tensor], batch: int) -> list[InputSpec]:
    """The same inputs with their batch dimension (dim 0 of every input whose dim 0 equals the first
    input's) set to ``batch``.

    Example:
        >>> [s.shape for s in with_batch([InputSpec((8, 3, 32, 32)), InputSpec((8,), torch.int64)], 64)]
        [(64, 3, 32, 32), (64,)]
    """
    specs = [item if isinstance(item, InputSpec) else InputSpec(tuple(item.shape), item.dtype) for item in items]
    if not specs or not specs[0].shape:
        raise ArchwiseError("cannot change the batch size: the first input has no batch dimension")
    current = specs[0].shape[0]
    return [InputSpec((batch, *s.shape[1:]), s.dtype, s.low, s.high, s.name) if s.shape and s.shape[0] == current else s
            for s in specs]


def parse_enum(kind: type[Enum], value: Any, option: str) -> Any:
    """``"adamw"`` → ``OptimizerName.ADAMW``: the one place a name the user typed becomes a member of a
    string enum (CLI and API share the vocabulary); an unknown name fails listing the known ones."""
    if isinstance(value, kind):
        return value
    text = str(value).strip().lower()
    for member in kind:
        if member.value == text:
            return member
    known = [m.value for m in kind]
    raise ArchwiseError(f"unknown {option} '{value}'{did_you_mean(text, known)}; known: {', '.join(known)}")
