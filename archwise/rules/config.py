"""Which rules run and with what thresholds: ``[tool.archwise]`` in ``pyproject.toml``, then the
command line.

    [tool.archwise]
    select = ["AW"]            # code prefixes: "AW2" is every skip-connection rule
    ignore = ["AW601"]
    fail-on = "warning"        # error | warning | info

    [tool.archwise.rules.AW301]      # or by name: [tool.archwise.rules.deep-and-narrow]
    max_depth = 60

    [tool.archwise.tree]             # the decision tree's branch points (archwise.design.TreeThresholds)
    rnn_below = 200

    [tool.archwise.diagnose]         # archwise diagnose's thresholds (archwise.train.DiagnoseConfig)
    dead_fraction = 0.7
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..design.decide import TreeThresholds
from ..errors import ArchwiseError, did_you_mean
from .codes import CODES
from .registry import Severity, get_rule

__all__ = ["CheckConfig", "load_config", "parse_threshold", "read_tool_table"]

try:  # Python 3.11+
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as _toml  # type: ignore[no-redef]


@dataclass(frozen=True)
class CheckConfig:
    """Rule selection and thresholds.

    Example:
        >>> cfg = CheckConfig(ignore=("AW6",), thresholds={"AW301": {"max_depth": 60}})
        >>> cfg.selected("AW601"), cfg.selected("AW301"), cfg.thresholds_for("AW301")["max_depth"]
        (False, True, 60)
    """

    select: tuple[str, ...] = ()  # code prefixes to run; empty: all
    ignore: tuple[str, ...] = ()  # code prefixes to skip (wins over select)
    fail_on: Severity = Severity.ERROR
    thresholds: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # code → {name: value}
    tree: TreeThresholds = field(default_factory=TreeThresholds)
    source: str | None = None  # the file settings came from

    def __post_init__(self) -> None:
        object.__setattr__(self, "fail_on", Severity.parse(self.fail_on))
        object.__setattr__(self, "select", tuple(_prefix(p, "select") for p in self.select))
        object.__setattr__(self, "ignore", tuple(_prefix(p, "ignore") for p in self.ignore))
        resolved: dict[str, dict[str, float]] = {}
        for key, values in self.thresholds.items():
            rule = get_rule(key)
            for name, value in values.items():
                if name not in rule.thresholds:
                    known = ", ".join(rule.thresholds) or "none"
                    raise ArchwiseError(f"rule {rule.code} ({rule.name}) has no threshold '{name}'; its thresholds: "
                                        f"{known}{did_you_mean(name, rule.thresholds)}")
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ArchwiseError(f"threshold {rule.code}.{name} must be a number, found {value!r}")
                resolved.setdefault(rule.code, {})[name] = value
        object.__setattr__(self, "thresholds", resolved)

    def selected(self, code: str) -> bool:
        if any(code.startswith(p) for p in self.ignore):
            return False
        return not self.select or any(code.startswith(p) for p in self.select)

    def thresholds_for(self, code: str) -> dict[str, float]:
        rule = get_rule(code)
        return {**rule.thresholds, **self.thresholds.get(code, {})}

    def merged(self, select: Sequence[str] = (), ignore: Sequence[str] = (), fail_on: str | None = None,
               thresholds: Mapping[str, Mapping[str, float]] | None = None) -> CheckConfig:
        """These settings with command-line ones on top (``select`` replaces; ``ignore`` adds)."""
        combined = {k: dict(v) for k, v in self.thresholds.items()}
        for key, values in (thresholds or {}).items():
            combined.setdefault(get_rule(key).code, {}).update(values)
        return dataclasses.replace(self, select=tuple(select) or self.select, ignore=(*self.ignore, *ignore),
                                   fail_on=fail_on or self.fail_on, thresholds=combined)


def _prefix(text: str, what: str) -> str:
    p = text.strip().upper()
    if not p.startswith("AW") or not any(code.startswith(p) for code in CODES):
        raise ArchwiseError(f"--{what} '{text}' matches no rule; expected a code or a prefix such as AW2 or AW201"
                            f"{did_you_mean(p, CODES)}")
    return p


def parse_threshold(text: str) -> tuple[str, str, float]:
    """``"AW301.max_depth=60"`` → ``("AW301", "max_depth", 60.0)``.

    Example:
        >>> parse_threshold("deep-and-narrow.max_depth=60")
        ('AW301', 'max_depth', 60.0)
    """
    head, sep, value = text.partition("=")
    rule_key, dot, name = head.partition(".")
    if not sep or not dot:
        raise ArchwiseError(f"cannot read threshold '{text}'; expected RULE.NAME=VALUE, such as AW301.max_depth=60")
    try:
        number = float(value)
    except ValueError:
        raise ArchwiseError(f"threshold '{text}' needs a number after '=', found '{value}'") from None
    return get_rule(rule_key).code, name.strip(), number


def _find_pyproject(start: Path) -> Path | None:
    for folder in [start, *start.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def read_tool_table(path: str | Path | None = None, start: str | Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """``[tool.archwise]`` of ``path``, or of the nearest ``pyproject.toml`` above ``start`` (the current
    directory), and the file it came from; ``({}, None)`` when there is no file."""
    file = Path(path) if path is not None else _find_pyproject(Path(start or Path.cwd()).resolve())
    if file is None:
        return {}, None
    try:
        data = _toml.loads(file.read_text())
    except (OSError, _toml.TOMLDecodeError) as err:
        raise ArchwiseError(f"cannot read settings from {file}: {err}; fix the file or pass --no-config") from None
    return data.get("tool", {}).get("archwise", {}), file


def load_config(path: str | Path | None = None, start: str | Path | None = None) -> CheckConfig:
    """Settings from ``[tool.archwise]`` of ``path``, or of the nearest ``pyproject.toml`` above ``start``
    (the current directory); defaults when there is none."""
    table, file = read_tool_table(path, start)
    if not table:
        return CheckConfig()
    known = {"select", "ignore", "fail-on", "fail_on", "rules", "tree", "diagnose"}
    for key in table:
        if key not in known:
            raise ArchwiseError(f"unknown setting '{key}' in [tool.archwise] of {file}; known: "
                                f"select, ignore, fail-on, rules, tree, diagnose{did_you_mean(key, known)}")
    tree_values = table.get("tree", {})
    fields = {f.name for f in dataclasses.fields(TreeThresholds)}
    for key in tree_values:
        if key not in fields:
            raise ArchwiseError(f"unknown tree setting '{key}' in [tool.archwise.tree] of {file}; known: "
                                f"{', '.join(sorted(fields))}{did_you_mean(key, fields)}")
    try:
        return CheckConfig(select=tuple(table.get("select", ())), ignore=tuple(table.get("ignore", ())),
                           fail_on=table.get("fail-on", table.get("fail_on", "error")),
                           thresholds=table.get("rules", {}), tree=TreeThresholds(**tree_values), source=str(file))
    except ArchwiseError as err:
        raise ArchwiseError(f"{err} (in [tool.archwise] of {file})") from None
