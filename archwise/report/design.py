"""Rendering ``archwise design`` and ``archwise zoo``: text, JSON and Markdown. Nothing here computes."""

from __future__ import annotations

import json
import textwrap

from ..design.explain import describe_constraint
from ..design.recommend import Recommendation
from ..design.zoo import arch_params, get_arch, list_archs
from .memory import fmt_bytes, fmt_int, fmt_time

__all__ = ["render_design_text", "render_design_json", "render_design_markdown", "render_zoo", "render_arch"]

_WIDTH = 100


def _wrap(text: str, first: str, rest: str) -> str:
    return textwrap.fill(text, _WIDTH, initial_indent=first, subsequent_indent=rest, break_long_words=False,
                         break_on_hyphens=False)


def _problem(rec: Recommendation) -> str:
    s = rec.spec
    parts = [s.kind.value]
    if s.input:
        n = s.input[-1]
        parts.append({"image": "×".join(map(str, s.input)), "text": f"vocabulary {n:,}",
                      "graph": f"{n:,} features per node", "tabular": f"{n:,} features"}.get(
            s.kind.value, f"{n:,} features per step"))
    if s.seq_len:
        parts.append(f"{s.seq_len:,} steps")
    if s.samples:
        parts.append(f"{s.samples:,} samples")
    if s.nodes:
        parts.append(f"{s.nodes:,} nodes, {s.edges:,} edges")
    outputs = rec.hyperparameters.get("num_outputs")
    parts.append(f"{outputs} {'classes' if s.task.value == 'classification' else 'targets'}")
    hw = []
    if s.device:
        hw.append(s.device)
    elif s.memory:
        hw.append(f"{fmt_bytes(s.memory)} memory")
    if s.device or s.memory:
        hw.append(f"batch {rec.batch_size}, {s.optimizer} {s.precision}")
    if s.latency_budget is not None:
        hw.append(f"latency ≤ {fmt_time(float(s.latency_budget))}")
    return ", ".join(parts) + (" · " + ", ".join(hw) if hw else "")


def render_design_text(rec: Recommendation) -> str:
    """The terminal form: the pick, its numbers against every budget, why, the runner-ups, the references."""
    lines = [f"archwise design: {_problem(rec)}", ""]
    head = "Recommendation" if rec.fits else "No candidate meets every budget; closest"
    lines.append(f"{head}: {rec.architecture}")
    lines.append(f"  builder {rec.arch}({', '.join(f'{k}={v!r}' for k, v in rec.hyperparameters.items())})")
    lines.append(f"  {rec.params:,} parameters · {fmt_int(rec.macs)} MACs per forward at batch 1")
    lines += ["", "Decision tree"]
    lines += [f"  {step}" for step in rec.decision.path]
    lines += ["", "Constraints"]
    rows = [describe_constraint(c, rec.spec) + ("ok" if c.ok else "MISSED",) for c in rec.constraints]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    lines.append(f"  {'budget':<{w0}}  {'limit':>{w1}}  {'value':>{w2}}")
    lines += [f"  {a:<{w0}}  {b:>{w1}}  {c:>{w2}}  {d}" for a, b, c, d in rows]
    lines.append(f"  binding: {rec.binding_constraint.replace('_', ' ')}")
    if rec.relax:
        lines += ["", "To make it fit, relax one of"]
        lines += [_wrap(r, "  - ", "    ") for r in rec.relax]
    lines += ["", "Why"]
    for r in rec.rationale:
        lines.append(_wrap(r.because, f"  - [{r.principle}] ", "    "))
    if rec.alternatives:
        lines += ["", "Runner-ups"]
        for a in rec.alternatives:
            lines.append(_wrap(f"{a.architecture}, {a.params:,} params: {a.why}", "  - ", "    "))
    if rec.references:
        lines += ["", "Train beside it"]
        for r in rec.references:
            lines.append(_wrap(f"{r.architecture}, {r.params:,} params (builder {r.arch}): {r.why}", "  - ", "    "))
    if rec.notes:
        lines += ["", "Notes"]
        lines += [_wrap(n, "  - ", "    ") for n in rec.notes]
    lines += ["", f"{rec.considered} candidates ranked, {rec.evaluated} simulated. "
                  "archwise design --emit model.py writes the model as standalone PyTorch."]
    return "\n".join(lines) + "\n"


def render_design_json(rec: Recommendation) -> str:
    return json.dumps(rec.to_dict(), indent=2) + "\n"


def render_design_markdown(rec: Recommendation) -> str:
    out = [f"## archwise design: {rec.architecture}", "", f"*{_problem(rec)}*", "",
           f"**{rec.params:,} parameters**, {fmt_int(rec.macs)} MACs per forward at batch 1; "
           f"binding constraint: **{rec.binding_constraint.replace('_', ' ')}**"
           + ("" if rec.fits else " — **no candidate meets every budget**"), "",
           "| budget | limit | value | ok |", "| --- | ---: | ---: | --- |"]
    for c in rec.constraints:
        name, limit, value = describe_constraint(c, rec.spec)
        out.append(f"| {name} | {limit} | {value} | {'✅' if c.ok else '❌'} |")
    out += ["", "| principle | because |", "| --- | --- |"]
    out += [f"| {r.principle} | {r.because.replace('|', '/')} |" for r in rec.rationale]
    if rec.alternatives:
        out += ["", "Runner-ups:", ""] + [f"- {a.architecture} ({a.params:,} params): {a.why}" for a in rec.alternatives]
    return "\n".join(out) + "\n"


def render_zoo() -> str:
    """One line per registered builder: name, family, kind, parameters at its defaults, summary."""
    rows = []
    for name in list_archs():
        info = get_arch(name)
        params = arch_params(name)
        rows.append((name, info.family, info.kind, f"{params:,}" + ("*" if info.family == "boosting" else ""),
                     info.summary))
    w = [max(len(r[i]) for r in rows + [("name", "family", "kind", "params", "")]) for i in range(4)]
    lines = [f"{'name':<{w[0]}}  {'family':<{w[1]}}  {'kind':<{w[2]}}  {'params':>{w[3]}}  summary"]
    lines += [f"{a:<{w[0]}}  {b:<{w[1]}}  {c:<{w[2]}}  {d:>{w[3]}}  {e}" for a, b, c, d, e in rows]
    lines += ["", f"{len(rows)} builders. params: at the defaults (* boosting: the most tree nodes it can grow). "
                  "archwise zoo NAME shows one; archwise profile zoo:NAME --kwargs '{...}' profiles one."]
    return "\n".join(lines) + "\n"


def render_arch(name: str) -> str:
    info = get_arch(name)
    lines = [f"{info.name} ({info.family}, {info.kind}): {info.summary}", "", "arguments (defaults):"]
    w = max(len(k) for k in info.defaults) if info.defaults else 0
    lines += [f"  {k:<{w}}  {v!r}" for k, v in info.defaults.items()]
    lines += ["", f"parameters at the defaults: {arch_params(name):,}"]
    if info.kind == "torch":
        from ..design.zoo import arch_inputs

        lines.append(f"inputs at batch 1: {', '.join(map(str, arch_inputs(name, 1)))}")
    return "\n".join(lines) + "\n"
