"""``archwise.check``: profile a model once, run every rule on the profile, report the findings.

The model is profiled on the meta device (and, when the spec names a device, a memory size or a
latency budget, simulated for training memory and predicted for latency); rules read only those
results.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from torch import nn

from ..errors import ArchwiseError
from ..problem import Modality, ProblemSpec
from ..profile.result import ModelProfile
from ..spec import InputSpec, normalize_inputs, with_batch
from .config import CheckConfig, load_config
from .context import Context
from .registry import Finding, Severity, all_rules

__all__ = ["check", "check_report", "CheckReport", "infer_modality"]

SCHEMA = "archwise.check/1"


@dataclass(frozen=True)
class CheckReport:
    """The findings of one check, and what was checked."""

    model: str
    inputs: tuple[str, ...]
    spec: ProblemSpec | None
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]  # what was inferred, and rules that could not judge for lack of a spec field
    rules_run: int
    profile: ModelProfile

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.value] += 1
        return out

    def failed(self, fail_on: Severity | str) -> bool:
        """Whether any finding is at or above ``fail_on``."""
        level = Severity.parse(fail_on).rank
        return any(f.severity.rank >= level for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            "schema": SCHEMA, "model": self.model, "inputs": list(self.inputs),
            "spec": self.spec.to_dict() if self.spec else None,
            "findings": [f.to_dict() for f in self.findings],
            "summary": {"total": len(self.findings), **counts, "rules_run": self.rules_run},
            "notes": list(self.notes),
        }


def infer_modality(profile: ModelProfile) -> tuple[Modality | None, str | None]:
    """A modality guessed from the inputs' shapes and dtypes, and a note saying so."""
    shapes = [n.shape for n in profile.structure.graph if n.op == "input"]
    text = ", ".join(profile.inputs)
    guess = None
    if len(profile.inputs) >= 2 and any(i.startswith("int64:2x") for i in profile.inputs):
        guess = Modality.GRAPH  # node features beside a 2 × E edge index
    elif shapes and len(shapes[0]) == 4:
        guess = Modality.IMAGE
    elif profile.inputs and profile.inputs[0].split("=")[-1].startswith("int64:") and shapes and len(shapes[0]) == 2:
        guess = Modality.TEXT
    elif shapes and len(shapes[0]) == 3:
        guess = Modality.SEQUENCE
    elif shapes and len(shapes[0]) == 2:
        guess = Modality.TABULAR
    if guess is None:
        return None, f"no modality given and none could be read from the inputs ({text}); pass --modality"
    return guess, f"modality inferred from the inputs ({text}): {guess.value}; pass --modality to set it"


def check(model: nn.Module, inputs: Any, spec: ProblemSpec | None = None,
          config: CheckConfig | None = None) -> list[Finding]:
    """Run the seed's design checklist and anti-patterns over ``model`` as a linter.

    Args:
        model: any ``nn.Module`` (real weights or meta).
        inputs: as for :func:`archwise.profile` (shapes include the batch).
        spec: the problem (modality, samples, device, latency budget, …); without one the modality
            is read from the inputs' shapes and rules that need a missing field do not judge.
        config: selection and thresholds (default: ``[tool.archwise]`` of the nearest pyproject.toml).

    Returns:
        The findings, most severe first.

    Example:
        >>> import torch, archwise
        >>> plain = torch.nn.Sequential(*[torch.nn.Linear(32, 32) for _ in range(12)])
        >>> [f.code for f in archwise.check(plain, [(4, 32)], archwise.ProblemSpec("tabular", samples=5000))][:1]
        ['AW201']
    """
    return list(check_report(model, inputs, spec, config).findings)


def check_report(model: nn.Module, inputs: Any, spec: ProblemSpec | None = None, config: CheckConfig | None = None,
                 *, baseline_score: float | None = None, score: float | None = None, higher_is_better: bool = True,
                 _rebuild_on_cpu: Any = None) -> CheckReport:
    """``check`` with everything around it: what was checked, notes, and the profile it read."""
    from ..profile.api import profile as run_profile

    config = config if config is not None else load_config()
    args, kwargs = normalize_inputs(inputs)
    base = run_profile(model, inputs, _rebuild_on_cpu=_rebuild_on_cpu)
    notes: list[str] = []
    if spec is None:
        modality, note = infer_modality(base)
        if note:
            notes.append(note)
        spec = ProblemSpec(modality) if modality is not None else None
    train_profile = latency_profile = None
    if spec is not None and (spec.device is not None or spec.memory is not None):
        batch = spec.batch_size
        train_inputs = _at_batch(args, kwargs, batch) if batch else inputs
        options = dict(train=True, optimizer=spec.optimizer, precision=spec.precision, device=spec.device,
                       memory=spec.memory, _rebuild_on_cpu=_rebuild_on_cpu)
        train_profile = run_profile(model, train_inputs, search_batch=False, **options)
        if train_profile.fit is not None and not train_profile.fit.fits:  # only then is the largest batch news
            train_profile = run_profile(model, train_inputs, search_batch=True, **options)
    if spec is not None and spec.latency_budget is not None:
        latency_profile = run_profile(model, inputs, device=spec.device or "cpu", precision=spec.precision,
                                      search_batch=False, _rebuild_on_cpu=_rebuild_on_cpu)
    ctx = Context(base, spec, tree=config.tree, baseline_score=baseline_score, score=score,
                  higher_is_better=higher_is_better, train_profile=train_profile, latency_profile=latency_profile)
    if spec is not None and spec.kind.sequential and spec.seq_len is None and ctx.seq_len is not None:
        notes.append(f"sequence length read from the input: {ctx.seq_len} steps (batch first); pass --seq-len to set it")
    findings, skipped = _run_rules(ctx, config)
    notes += skipped
    order = sorted(findings, key=lambda f: (-f.severity.rank, f.code, f.where))
    return CheckReport(base.model, base.inputs, spec, tuple(order), tuple(notes),
                       sum(1 for r in all_rules() if config.selected(r.code)), base)


def _at_batch(args: list, kwargs: dict, batch: int) -> Any:
    if kwargs:
        first = next(iter(kwargs.values()))
        if not isinstance(first, InputSpec):
            return {**kwargs}
        return {k: InputSpec((batch, *v.shape[1:]), v.dtype, v.low, v.high) if isinstance(v, InputSpec) and v.shape
                else v for k, v in kwargs.items()}
    return with_batch(args, batch)


def _run_rules(ctx: Context, config: CheckConfig) -> tuple[list[Finding], list[str]]:
    """Every rule runs (the general ones read what the specific ones found); only selected ones report."""
    findings: list[Finding] = []
    skipped: dict[str, list[str]] = {}
    for rule_cls in all_rules():
        rule = rule_cls()
        missing = [name for name in rule.needs if not _has(ctx, name)]
        if missing:
            relevant = not (missing == ["seq_len"] and not (ctx.spec and ctx.spec.kind.sequential))
            if config.selected(rule.code) and relevant:
                skipped.setdefault(" and ".join(_flag(m, ctx) for m in missing), []).append(rule.code)
            continue
        produced = list(_findings(rule_cls, rule.check(ctx, config.thresholds_for(rule.code))))
        if produced:
            ctx.fired.add(rule.code)
        if config.selected(rule.code):
            findings.extend(produced)
    notes = [f"not judged without {flag}: {', '.join(codes)}" for flag, codes in skipped.items()]
    return findings, notes


def _findings(rule: Any, violations: Iterable[Any]) -> Iterable[Finding]:
    for v in violations:
        yield Finding(rule.code, rule.name, v.severity or rule.severity, v.message, v.why, dict(v.evidence),
                      tuple(v.fixes), rule.principle, v.where)


def _has(ctx: Context, name: str) -> bool:
    spec = ctx.spec
    if name == "modality":
        return spec is not None
    if name == "samples":
        return spec is not None and spec.samples is not None
    if name == "device":
        return ctx.train_profile is not None
    if name == "latency_budget":
        return ctx.latency_profile is not None and ctx.latency_profile.latency is not None
    if name == "seq_len":
        return ctx.seq_len is not None
    if name == "scores":
        return ctx.baseline_score is not None and ctx.score is not None
    raise ArchwiseError(f"internal: unknown rule need '{name}'")


def _flag(name: str, ctx: Context) -> str:
    if name == "latency_budget" and ctx.spec is not None and ctx.spec.latency_budget is not None:
        return "a latency prediction (pass --device, or run archwise calibrate for this CPU)"
    return {"modality": "--modality", "samples": "--samples", "device": "--device or --memory",
            "latency_budget": "--latency-budget", "seq_len": "--seq-len", "scores": "--baseline-score and --score"}[name]
