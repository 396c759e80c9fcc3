"""The problem a model is for: its data and its hardware budgets.

``ProblemSpec`` is what ``archwise check`` reads beside a model and what ``archwise design``
decides from. One vocabulary serves the CLI and the API: ``--modality image`` and
``ProblemSpec(modality="image")`` are the same word, and units are parsed by ``archwise.spec``
(``"24GB"``, ``"100ms"``, ``"3x32x32"``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from .errors import ArchwiseError, did_you_mean
from .spec import parse_bytes, parse_duration

__all__ = ["ProblemSpec", "Modality", "Task", "parse_shape", "load_problem"]


class Modality(str, Enum):
    """What the data is; decides the inductive bias the seed asks the architecture to match."""

    IMAGE = "image"  # grid-structured: C×H×W
    SEQUENCE = "sequence"  # ordered steps of features: T×F
    TEXT = "text"  # token ids: T
    TIMESERIES = "timeseries"  # ordered measurements: T×F
    GRAPH = "graph"  # nodes with features and edges between them
    TABULAR = "tabular"  # independent features, no order among them

    @property
    def sequential(self) -> bool:
        return self in (Modality.SEQUENCE, Modality.TEXT, Modality.TIMESERIES)


class Task(str, Enum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"


def _enum(cls: type[Enum], value: Any, what: str) -> Any:
    if isinstance(value, cls):
        return value
    text = str(value).strip().lower()
    for member in cls:
        if member.value == text:
            return member
    names = [m.value for m in cls]
    raise ArchwiseError(f"unknown {what} '{value}'; expected one of {', '.join(names)}{did_you_mean(text, names)}")


def parse_shape(text: str | tuple[int, ...] | list[int] | int) -> tuple[int, ...]:
    """One sample's shape without the batch: ``"3x32x32"``, ``(3, 32, 32)`` or ``64``.

    Example:
        >>> parse_shape("3x32x32"), parse_shape(64)
        ((3, 32, 32), (64,))
    """
    if isinstance(text, int):
        dims: list[Any] = [text]
    elif isinstance(text, (tuple, list)):
        dims = list(text)
    else:
        dims = str(text).lower().replace("×", "x").split("x")
    try:
        shape = tuple(int(d) for d in dims)
    except (TypeError, ValueError):
        shape = ()
    if not shape or any(d <= 0 for d in shape):
        raise ArchwiseError(f"cannot read sample shape '{text}'; expected positive sizes separated by x, such as "
                            "3x32x32 (an image), 64 (features) or 128x16 (steps × features), without the batch")
    return shape


@dataclass(frozen=True)
class ProblemSpec:
    """The data and the budgets a model must meet. Every field but ``modality`` is optional.

    Example:
        >>> spec = ProblemSpec("image", input="3x32x32", samples=50_000, outputs=10, latency_budget="30ms")
        >>> spec.modality.value, spec.input, spec.latency_budget
        ('image', (3, 32, 32), 0.03)
    """

    modality: Modality | str
    input: tuple[int, ...] | str | None = None  # one sample without the batch (C×H×W, T×F, F)
    samples: int | None = None  # training samples (graphs: labelled nodes, or graphs for graph tasks)
    outputs: int | None = None  # classes, or regression targets
    task: Task | str = Task.CLASSIFICATION
    seq_len: int | None = None  # steps or tokens per sample (sequential modalities)
    nodes: int | None = None  # graph nodes
    edges: int | None = None  # graph edges
    device: str | None = None  # a catalog device: archwise devices
    memory: int | str | None = None  # or a memory size instead of a device: "24GB"
    latency_budget: float | str | None = None  # seconds, or text: "100ms" (inference, one batch)
    batch_size: int | None = None  # training batch (memory) and, for latency, the inference batch
    optimizer: str = "adamw"
    precision: str = "fp32"
    loss: str | None = None  # what the outputs feed: cross_entropy (default for classification), nll, bce, …

    def __post_init__(self) -> None:
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen)
        set_("modality", _enum(Modality, self.modality, "modality"))
        set_("task", _enum(Task, self.task, "task"))
        if self.input is not None:
            set_("input", parse_shape(self.input))
        for name in ("samples", "outputs", "seq_len", "nodes", "edges", "batch_size"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    raise ArchwiseError(f"{name} must be a whole number, found '{value}'") from None
                set_(name, value)
            if value < 1:
                raise ArchwiseError(f"{name} must be at least 1, found {value}; give the number of {name.replace('_', ' ')}")
        if self.memory is not None:
            set_("memory", parse_bytes(self.memory))
        if self.latency_budget is not None:
            set_("latency_budget", parse_duration(self.latency_budget))
        if self.device is not None and self.memory is not None:
            raise ArchwiseError("give a device or a memory size, not both (the device sets the memory)")
        if self.device is not None:
            from .devices import get_device

            get_device(self.device)  # fails with the known names
        if self.loss is not None:
            set_("loss", _loss_name(self.loss))

    @property
    def kind(self) -> Modality:
        assert isinstance(self.modality, Modality)
        return self.modality

    @property
    def effective_loss(self) -> str | None:
        """The loss the outputs feed: the given one, or the usual one for the task."""
        if self.loss is not None:
            return self.loss
        return "cross_entropy" if self.task == Task.CLASSIFICATION else "mse"

    def with_(self, **changes: Any) -> ProblemSpec:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "modality": self.kind.value, "input": list(self.input) if self.input else None, "samples": self.samples,
            "outputs": self.outputs, "task": Task(self.task).value, "seq_len": self.seq_len, "nodes": self.nodes,
            "edges": self.edges, "device": self.device, "memory": self.memory, "latency_budget": self.latency_budget,
            "batch_size": self.batch_size, "optimizer": self.optimizer, "precision": self.precision, "loss": self.loss,
        }


LOSSES = {
    # name: does it expect logits (unnormalised scores)?
    "cross_entropy": True, "bce_with_logits": True, "nll": False, "bce": False, "mse": False, "l1": False,
    "huber": False, "kl_div": False,
}


def _loss_name(text: str) -> str:
    name = str(text).strip().lower().replace("-", "_")
    if name not in LOSSES:
        raise ArchwiseError(f"unknown loss '{text}'; expected one of {', '.join(LOSSES)}{did_you_mean(name, LOSSES)}")
    return name


def load_problem(path: str, **overrides: Any) -> ProblemSpec:
    """A ``ProblemSpec`` from a YAML or JSON file whose keys are its fields (``seq-len`` or ``seq_len``);
    ``overrides`` that are not ``None`` replace the file's values (the command line wins).

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "p.yaml"
        >>> _ = f.write_text("modality: image\\ninput: 3x32x32\\nsamples: 50000\\noutputs: 10\\n")
        >>> load_problem(str(f), samples=1000).samples
        1000
    """
    import json
    from pathlib import Path

    import yaml

    file = Path(path)
    if not file.is_file():
        raise ArchwiseError(f"spec file '{path}' not found; expected a YAML or JSON file with modality, input, samples, …")
    text = file.read_text()
    try:
        data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        first = str(err).strip().splitlines()[0]
        raise ArchwiseError(f"cannot read spec file '{path}': {first}; expected YAML or JSON key: value pairs") from None
    if not isinstance(data, dict):
        raise ArchwiseError(f"spec file '{path}' must hold a mapping of fields (modality: image, …), found "
                            f"{type(data).__name__}")
    fields = list(ProblemSpec.__dataclass_fields__)
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).strip().lower().replace("-", "_")
        if name not in fields:
            raise ArchwiseError(f"unknown field '{key}' in spec file '{path}'; known: {', '.join(fields)}"
                                f"{did_you_mean(name, fields)}")
        values[name] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "modality" not in values:
        raise ArchwiseError(f"spec file '{path}' gives no modality; add modality: image (or sequence, text, "
                            "timeseries, graph, tabular)")
    return ProblemSpec(**values)
