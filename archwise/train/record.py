"""What a :class:`~archwise.train.Monitor` writes down: plain data, saved as JSON lines.

A record is one ``meta`` line (the model's weighted layers and activation modules, the optimizer,
the sampling schedule), then one ``step`` line per :meth:`Monitor.step` call and one ``epoch``
line per :meth:`Monitor.log_epoch` call, in the order they happened. Per-layer statistics are
lists aligned with ``meta.layers`` (and ``meta.activations``) and appear only on sampled steps.
Non-finite floats are written as the strings ``"nan"``, ``"inf"`` and ``"-inf"`` so that every
line is valid JSON.

Example:
    >>> rec = TrainingRecord(meta={"every": 1}, layers=[LayerInfo("fc", "Linear", 6)])
    >>> rec.steps.append(StepRecord(step=0, loss=float("nan"), grad_norm=[0.5]))
    >>> back = TrainingRecord.from_lines(rec.to_lines())
    >>> back.steps[0].loss, back.steps[0].grad_norm, back.layers[0].name
    (nan, [0.5], 'fc')
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import ArchwiseError

__all__ = ["SCHEMA", "LayerInfo", "ActivationInfo", "StepRecord", "EpochRecord", "TrainingRecord", "load_record"]

SCHEMA = "archwise.monitor/1"


@dataclass
class LayerInfo:
    """A module with parameters of its own (``weight``, ``bias``, …), as found when monitoring began."""

    name: str
    type: str
    params: int
    fan_in: int | None = None
    fan_out: int | None = None
    weight_std: float | None = None
    bias_mean: float | None = None
    # recurrent layers (RNN/LSTM/GRU): the hidden-to-hidden weights' largest and smallest singular values
    # over every gate block of every ``weight_hh_l*`` (an orthogonal init has both at 1)
    hh_gain: float | None = None
    hh_min_gain: float | None = None


@dataclass
class ActivationInfo:
    """An activation module: ``kind`` is ``"relu"`` (dead units are counted) or ``"saturating"``."""

    name: str
    type: str
    kind: str
    after: str | None = None   # the weighted layer registered just before it (what feeds it, usually)


@dataclass
class StepRecord:
    """One :meth:`Monitor.step` call. Per-layer lists are present on sampled steps only."""

    step: int
    loss: float | None = None
    opt_step: int = 0
    skipped: bool = False
    lr: float | None = None
    time: dict[str, float] | None = None
    grad_norm: list[float | None] | None = None
    weight_norm: list[float] | None = None
    update_ratio: list[float] | None = None
    dead: list[float | None] | None = None
    saturated: list[float | None] | None = None

    @property
    def sampled(self) -> bool:
        return self.grad_norm is not None or self.weight_norm is not None


@dataclass
class EpochRecord:
    """One :meth:`Monitor.log_epoch` call: the epoch, the step it ended at, and its metrics."""

    epoch: int
    step: int
    train_loss: float | None = None
    val_loss: float | None = None
    train_metric: float | None = None
    val_metric: float | None = None
    extra: dict[str, float] = field(default_factory=dict)


@dataclass
class TrainingRecord:
    """Everything a monitored run recorded; what the detectors read."""

    meta: dict[str, Any] = field(default_factory=dict)
    layers: list[LayerInfo] = field(default_factory=list)
    activations: list[ActivationInfo] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    epochs: list[EpochRecord] = field(default_factory=list)
    source: str | None = None

    # ---- convenience views -------------------------------------------------------------------

    @property
    def every(self) -> int:
        return int(self.meta.get("every", 1) or 1)

    @property
    def metric_higher_is_better(self) -> bool:
        return bool(self.meta.get("metric_higher_is_better", True))

    def losses(self) -> list[tuple[int, float]]:
        """``(step, loss)`` for every step that reported a loss (non-finite ones included)."""
        return [(s.step, s.loss) for s in self.steps if s.loss is not None]

    def sampled(self) -> list[StepRecord]:
        return [s for s in self.steps if s.sampled]

    # ---- JSON lines ----------------------------------------------------------------------------

    def to_lines(self) -> list[str]:
        meta = {"type": "meta", "schema": SCHEMA, **self.meta,
                "layers": [asdict(layer) for layer in self.layers],
                "activations": [asdict(a) for a in self.activations]}
        events: list[tuple[int, int, dict]] = []
        for s in self.steps:
            events.append((s.step, 0, {"type": "step", **{k: v for k, v in asdict(s).items() if v is not None}}))
        for e in self.epochs:
            row = {"type": "epoch", **{k: v for k, v in asdict(e).items() if v is not None and k != "extra"}, **e.extra}
            events.append((e.step, 1, row))
        events.sort(key=lambda item: (item[0], item[1]))
        return [_dumps(meta)] + [_dumps(row) for _, _, row in events]

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.to_lines()) + "\n")
        return path

    @classmethod
    def from_lines(cls, lines: list[str], source: str = "<lines>") -> TrainingRecord:
        record = cls(source=source)
        seen_meta = False
        step_fields = {f.name for f in fields(StepRecord)}
        epoch_fields = {f.name for f in fields(EpochRecord)} - {"extra"}
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            where = f"{source} line {number}"
            try:
                row = json.loads(text, parse_constant=_constant)
            except json.JSONDecodeError as err:
                raise ArchwiseError(f"{where} is not valid JSON ({err.msg} at column {err.colno}); expected one JSON "
                                    "object per line as archwise.Monitor.save writes; the file may be truncated: "
                                    "rerun the training or delete that line") from None
            if not isinstance(row, dict) or "type" not in row:
                raise ArchwiseError(f"{where} is {type(row).__name__} without a 'type'; expected an object with "
                                    "\"type\": \"meta\", \"step\" or \"epoch\"; is this a file archwise.Monitor.save wrote?")
            row = _decode(row)
            kind = row.pop("type")
            try:
                if kind == "meta":
                    if seen_meta:
                        raise ArchwiseError(f"{where} is a second 'meta' line; expected one per run; split the file "
                                            "into one run per file")
                    seen_meta = True
                    schema = row.pop("schema", None)
                    if schema != SCHEMA:
                        raise ArchwiseError(f"{where} has schema {schema!r}; expected {SCHEMA!r}; write the file with "
                                            "this version of archwise")
                    record.layers = [LayerInfo(**layer) for layer in row.pop("layers", [])]
                    record.activations = [ActivationInfo(**a) for a in row.pop("activations", [])]
                    record.meta = row
                elif not seen_meta:
                    raise ArchwiseError(f"{where} is a '{kind}' line before the 'meta' line; expected the file to start "
                                        "with the meta line archwise.Monitor.save writes; the file's head is missing")
                elif kind == "step":
                    unknown = set(row) - step_fields
                    if unknown:
                        raise TypeError(f"unknown key {sorted(unknown)[0]!r}")
                    rec = StepRecord(**row)
                    if not isinstance(rec.step, int) or isinstance(rec.step, bool):
                        raise TypeError("'step' is not an integer")
                    _check_numbers(row, where)
                    _check_lengths(rec, record, where)
                    record.steps.append(rec)
                elif kind == "epoch":
                    known = {k: row.pop(k) for k in list(row) if k in epoch_fields}
                    extra = {k: float(v) for k, v in row.items() if isinstance(v, (int, float))}
                    rec = EpochRecord(**known, extra=extra)
                    if not isinstance(rec.epoch, int) or isinstance(rec.epoch, bool):
                        raise TypeError("'epoch' is not an integer")
                    _check_numbers(known, where)
                    record.epochs.append(rec)
                else:
                    raise ArchwiseError(f"{where} has type {kind!r}; expected 'meta', 'step' or 'epoch'")
            except TypeError as err:
                message = str(err).split("__init__() ")[-1]
                raise ArchwiseError(f"{where}: a '{kind}' line with a bad field ({message}); expected the fields "
                                    "archwise.Monitor.save writes; fix or delete that line") from None
        if not seen_meta:
            raise ArchwiseError(f"{source} has no 'meta' line; expected a file written by archwise.Monitor.save "
                                "(or a Lightning CSVLogger metrics.csv)")
        return record


def _check_numbers(row: dict, where: str) -> None:
    """Every value a detector does arithmetic on must be a number (or null)."""
    for key, value in row.items():
        if key in ("skipped",):
            continue
        items = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else [value]
        for item in items:
            if item is not None and (isinstance(item, bool) or not isinstance(item, (int, float))):
                raise ArchwiseError(f"{where}: '{key}' holds {item!r}; expected a number or null; the file is "
                                    "corrupt: fix or delete that line")


def _check_lengths(rec: StepRecord, record: TrainingRecord, where: str) -> None:
    for name, expected in (("grad_norm", len(record.layers)), ("weight_norm", len(record.layers)),
                           ("update_ratio", len(record.layers)), ("dead", len(record.activations)),
                           ("saturated", len(record.activations))):
        values = getattr(rec, name)
        if values is not None and (not isinstance(values, list) or len(values) != expected):
            found = len(values) if isinstance(values, list) else type(values).__name__
            raise ArchwiseError(f"{where}: '{name}' has {found} values; expected {expected}, one per entry of the "
                                "meta line; the file is corrupt: rerun the training")


def load_record(path: str | Path) -> TrainingRecord:
    """Read a run: a ``.jsonl`` file :meth:`Monitor.save` wrote, or a Lightning ``CSVLogger`` ``metrics.csv``."""
    path = Path(path)
    if not path.exists():
        raise ArchwiseError(f"no file at {path}; expected a run written by archwise.Monitor.save (run.jsonl) or a "
                            "Lightning CSVLogger metrics.csv; check the path")
    if path.is_dir():
        raise ArchwiseError(f"{path} is a folder; expected a run file (run.jsonl or metrics.csv); name the file inside it")
    text = path.read_text(errors="replace")
    if not text.strip():
        raise ArchwiseError(f"{path} is empty; expected a run written by archwise.Monitor.save; was the training "
                            "stopped before mon.save() ran?")
    if path.suffix.lower() == ".csv":
        from .lightning_csv import read_metrics_csv

        return read_metrics_csv(path, text)
    return TrainingRecord.from_lines(text.splitlines(), source=str(path))


# ---- float encoding --------------------------------------------------------------------------

_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_TEXT_KEYS = {"name", "type", "kind", "after", "model", "source_format", "columns"}


def json_safe(value: Any) -> Any:
    """Non-finite floats as the strings ``"nan"``, ``"inf"``, ``"-inf"`` (and keys as strings), so
    ``json.dumps(..., allow_nan=False)`` takes it; what the run file and ``diagnose --json`` write."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value in _NONFINITE:
        return _NONFINITE[value]
    if isinstance(value, dict):
        return {k: (_decode(v) if k not in _TEXT_KEYS else v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _constant(name: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]


def _dumps(row: dict) -> str:
    return json.dumps(json_safe(row), separators=(",", ":"), allow_nan=False)
