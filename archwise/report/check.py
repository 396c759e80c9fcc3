"""Rendering ``archwise check`` results and the rule registry: text, JSON, Markdown, GitHub annotations.

Renderers take the plain results (``CheckReport``, rule classes) and return strings; nothing here
computes a finding.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence

from ..rules.codes import FAMILY_NAMES
from .memory import fmt_bytes
from ..rules.engine import CheckReport
from ..rules.registry import DOC_SECTIONS, Finding, Rule

__all__ = ["render_text", "render_json", "render_markdown", "render_github", "render_rules", "render_rule",
           "rules_page"]

_WIDTH = 100


def _spec_line(report: CheckReport) -> str:
    spec = report.spec
    if spec is None:
        return "no problem spec"
    parts = [spec.kind.value]
    if spec.samples is not None:
        parts.append(f"{spec.samples:,} samples")
    if spec.seq_len is not None:
        parts.append(f"{spec.seq_len:,} steps")
    if spec.device is not None:
        parts.append(spec.device)
    elif spec.memory is not None:
        parts.append(fmt_bytes(int(spec.memory)))
    if spec.latency_budget is not None:
        parts.append(f"budget {float(spec.latency_budget) * 1e3:g} ms")
    return ", ".join(parts)


def _summary(report: CheckReport) -> str:
    c = report.counts()
    n = len(report.findings)
    word = "finding" if n == 1 else "findings"
    return (f"{n} {word} ({c['error']} error{'s' if c['error'] != 1 else ''}, {c['warning']} warning"
            f"{'s' if c['warning'] != 1 else ''}, {c['info']} info) from {report.rules_run} rules")


def _wrap(text: str, indent: str, first: str | None = None) -> str:
    return textwrap.fill(text, _WIDTH, initial_indent=first if first is not None else indent,
                         subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


def render_text(report: CheckReport) -> str:
    """The terminal form: one block per finding, most severe first, then notes and the summary."""
    lines = [f"archwise check: {report.model} at {', '.join(report.inputs)} · {_spec_line(report)}", ""]
    for f in report.findings:
        lines.append(f"{f.code} {f.severity.value:<7} {f.name}  ({f.where})")
        lines.append(_wrap(f.message, "    ", "  "))
        lines.append(_wrap(f"why: {f.why}", "    ", "  "))
        for i, fix in enumerate(f.fixes, 1):
            lines.append(_wrap(fix, "       ", f"  {'fix:' if i == 1 else '    '} {i}. "))
        lines.append(f"  seed: {f.principle}")
        lines.append("")
    if report.notes:
        lines.append("notes:")
        lines += [_wrap(n, "    ", "  - ") for n in report.notes]
        lines.append("")
    if report.findings:
        lines.append(f"Found {_summary(report)}.")
    else:
        lines.append(f"No findings from {report.rules_run} rules.")
    return "\n".join(lines) + "\n"


def render_json(report: CheckReport) -> str:
    return json.dumps(report.to_dict(), indent=2, default=str) + "\n"


def render_markdown(report: CheckReport) -> str:
    """A Markdown summary table and one section per finding (for pull requests)."""
    out = [f"## archwise check: `{report.model}`", "",
           f"Inputs {', '.join(f'`{i}`' for i in report.inputs)} · {_spec_line(report)} · {_summary(report)}.", ""]
    if report.findings:
        out += ["| code | severity | rule | where | finding |", "|---|---|---|---|---|"]
        for f in report.findings:
            out.append(f"| {f.code} | {f.severity.value} | {f.name} | `{f.where}` | {_md(f.message)} |")
        out.append("")
        for f in report.findings:
            out += [f"### {f.code} {f.name} ({f.severity.value})", "", _md(f.message), "", f"*Why:* {_md(f.why)}", ""]
            out += [f"{i}. {_md(fix)}" for i, fix in enumerate(f.fixes, 1)]
            out += ["", f"Seed: {f.principle}.", ""]
    if report.notes:
        out += ["Notes:", "", *(f"- {_md(n)}" for n in report.notes), ""]
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_github(report: CheckReport, file: str | None = None, line: int | None = None) -> str:
    """GitHub Actions workflow commands: one annotation per finding (``::error``/``::warning``/``::notice``)."""
    level = {"error": "error", "warning": "warning", "info": "notice"}
    out = []
    for f in report.findings:
        where = ""
        if file:
            where = f"file={_prop(file)}," + (f"line={line}," if line else "")
        title = _prop(f"{f.code} {f.name} ({f.where})")
        body = _data(f"{f.message}. Fix: {f.fixes[0]}" if f.fixes else f.message)
        out.append(f"::{level[f.severity.value]} {where}title={title}::{body}")
    return "\n".join(out) + ("\n" if out else "")


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_rules(rules: Sequence[type[Rule]]) -> str:
    """The table of every rule: code, name, default severity, the seed section it enforces."""
    width = max(len(r.name) for r in rules)
    lines = [f"{'code':<6} {'name':<{width}} {'severity':<8} principle (seed section)"]
    family = None
    for r in rules:
        if r.code[2] != family:
            family = r.code[2]
            lines.append(f"-- {FAMILY_NAMES[family]}")
        lines.append(f"{r.code:<6} {r.name:<{width}} {r.severity.value:<8} {r.principle}")
    lines.append(f"{len(rules)} rules. archwise rules CODE shows one in full.")
    return "\n".join(lines) + "\n"


def render_rule(rule: type[Rule]) -> str:
    """One rule's full documentation, as Markdown."""
    head = [f"# {rule.code} {rule.name}", "",
            f"Default severity: **{rule.severity.value}** · Seed section: *{rule.principle}*"]
    if rule.checklist:
        head.append(f"Checklist: {'; '.join(rule.checklist)}")
    if rule.anti_patterns:
        head.append(f"Anti-patterns: {', '.join(str(a) for a in rule.anti_patterns)}")
    if rule.needs:
        head.append(f"Judges only with: {', '.join(rule.needs)}")
    sections = rule.sections()
    body = []
    for name in DOC_SECTIONS:
        body += ["", f"## {name}", "", sections.get(name, "")]
    return "\n".join(head + body) + "\n"


def rules_page(rules: Sequence[type[Rule]]) -> str:
    """The docs page of every rule, generated from their docstrings (``docs/rules.md``)."""
    out = ["# archwise rules", "",
           "Generated from the rules' docstrings by `archwise rules --markdown`; do not edit by hand.", "",
           "| code | name | severity | seed section |", "|---|---|---|---|"]
    out += [f"| [{r.code}](#{r.code.lower()}-{r.name}) | {r.name} | {r.severity.value} | {r.principle} |" for r in rules]
    out.append("")
    for r in rules:
        out.append(render_rule(r).replace(f"# {r.code}", f"## {r.code}", 1).replace("\n## ", "\n### "))
    return "\n".join(out)
