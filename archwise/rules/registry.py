"""The rule registry: what a rule is, what it reports, and the table of every registered rule.

A rule is a class in its own file under ``archwise/rules/<family>/``, decorated with
``@register``. Its docstring has the same Markdown sections every time (``DOC_SECTIONS``); the
rules page of the docs is generated from them. Its ``check`` reads a ``Context`` (the model's
profile, the problem spec and derived facts) and yields ``Violation``s; the engine turns each
into a ``Finding`` with the rule's code, name, principle and severity.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ArchwiseError, did_you_mean
from ..spec import parse_enum
from .codes import CODES

if TYPE_CHECKING:
    from .context import Context

__all__ = ["Severity", "Violation", "Finding", "Rule", "register", "all_rules", "get_rule", "DOC_SECTIONS"]

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "Thresholds", "References")


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]

    @classmethod
    def parse(cls, text: str | Severity) -> Severity:
        return parse_enum(cls, text, "severity")


@dataclass(frozen=True)
class Violation:
    """What a rule found: the problem with its numbers, why it matters, and the fixes in the seed's order."""

    message: str  # what is wrong, with the evidence in numbers
    why: str  # why it matters (the seed's reasoning)
    fixes: tuple[str, ...]  # what to do, first thing first
    evidence: Mapping[str, Any] = field(default_factory=dict)  # the numbers, machine-readable
    where: str = "model"  # a module path, or "model"
    severity: Severity | None = None  # overrides the rule's default (capacity depends on modality)


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one place in the model."""

    code: str
    name: str
    severity: Severity
    message: str
    why: str
    evidence: Mapping[str, Any]
    fixes: tuple[str, ...]
    principle: str  # the seed section the rule enforces
    where: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "severity": self.severity.value, "message": self.message,
                "why": self.why, "evidence": dict(self.evidence), "fixes": list(self.fixes),
                "principle": self.principle, "where": self.where}


class Rule:
    """Base class of every rule. Subclasses set the class attributes and implement ``check``."""

    code: ClassVar[str]
    name: ClassVar[str]
    principle: ClassVar[str]  # a section heading of the seed, word for word
    checklist: ClassVar[tuple[str, ...]] = ()  # the seed's "Design Checklist" items it enforces
    anti_patterns: ClassVar[tuple[int, ...]] = ()  # the seed's numbered anti-patterns it catches
    severity: ClassVar[Severity]
    thresholds: ClassVar[dict[str, float | int]] = {}
    needs: ClassVar[tuple[str, ...]] = ()  # spec fields without which the rule cannot judge

    def check(self, ctx: Context, t: Mapping[str, Any]) -> Iterator[Violation]:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def doc(cls) -> str:
        return _dedent(cls.__doc__ or "")

    @classmethod
    def sections(cls) -> dict[str, str]:
        """The docstring's sections by heading (``## What it does`` …)."""
        parts = re.split(r"^## +(.+?)\s*$", cls.doc(), flags=re.MULTILINE)
        return {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}

    @classmethod
    def summary(cls) -> str:
        """The first sentence of "What it does"."""
        text = " ".join(cls.sections().get("What it does", "").split())
        return text.split(". ")[0].rstrip(".") + "." if text else ""


_REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Add a rule class to the registry; its code and name must match the table in ``codes.py``."""
    code = cls.code
    if code not in CODES:
        raise ValueError(f"rule {cls.__name__} has code {code}, which is not in archwise/rules/codes.py")
    if CODES[code] != cls.name:
        raise ValueError(f"rule {code} is named '{cls.name}' but codes.py names it '{CODES[code]}'")
    if code in _REGISTRY and _REGISTRY[code] is not cls:
        raise ValueError(f"two rules claim {code}: {_REGISTRY[code].__name__} and {cls.__name__}")
    _REGISTRY[code] = cls
    return cls


_FAMILY_PACKAGES = ("inductive_bias", "skip", "depth_width", "capacity", "compute", "patterns", "training",
                    "baselines")


def _load() -> None:
    if _REGISTRY:
        return
    for family in _FAMILY_PACKAGES:
        package = importlib.import_module(f"{__package__}.{family}")
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")


def all_rules() -> list[type[Rule]]:
    """Every registered rule, by code."""
    _load()
    return [_REGISTRY[c] for c in sorted(_REGISTRY)]


def get_rule(code_or_name: str) -> type[Rule]:
    """A rule by its code (``AW201``) or name (``plain-deep-network``)."""
    _load()
    key = code_or_name.strip()
    if key.upper() in _REGISTRY:
        return _REGISTRY[key.upper()]
    for rule in _REGISTRY.values():
        if rule.name == key.lower():
            return rule
    choices = [*_REGISTRY, *(r.name for r in _REGISTRY.values())]
    raise ArchwiseError(f"unknown rule '{code_or_name}'; run archwise rules to list them{did_you_mean(key, choices)}")


def _dedent(text: str) -> str:
    lines = text.expandtabs().splitlines()
    if not lines:
        return ""
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents, default=0)
    body = [lines[0].strip(), *(line[margin:] for line in lines[1:])]
    return "\n".join(body).strip()
