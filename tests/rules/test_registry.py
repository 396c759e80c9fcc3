"""The registry walked as a whole: every rule documented, coded, fixtured, and tied to the seed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import archwise
from archwise.rules import DOC_SECTIONS, all_rules, get_rule
from archwise.rules.codes import CODES

from .fixtures import ANTI_PATTERNS, CASES

# The seed, vendored so that the checks below run from any clone (docs/ holds a verbatim copy).
SEED = Path(__file__).resolve().parents[2] / "docs" / "seed-architecture-design-principles.md"
RULES = all_rules()


def _fired(case):
    report = archwise.check_report(case.build(), case.inputs, case.spec, archwise.CheckConfig(), **case.extra)
    return report


def test_every_code_in_the_table_is_a_registered_rule_and_back():
    assert [r.code for r in RULES] == sorted(CODES)
    assert all(CODES[r.code] == r.name for r in RULES)
    assert len({r.name for r in RULES}) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_docstring_has_every_section(rule):
    sections = rule.sections()
    missing = [s for s in DOC_SECTIONS if not sections.get(s)]
    assert not missing, f"{rule.code} lacks docstring sections {missing}"
    assert rule.summary()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_thresholds_are_documented(rule):
    text = rule.sections()["Thresholds"]
    for name in rule.thresholds:
        assert f"`{name}`" in text, f"{rule.code} does not document threshold {name}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_file_is_named_after_code_and_name(rule):
    import inspect

    path = Path(inspect.getsourcefile(rule))
    assert path.name == f"{rule.code}_{rule.name.replace('-', '_')}.py"


def test_principles_are_seed_headings():
    headings = {re.sub(r"^#+\s*", "", line).strip() for line in SEED.read_text().splitlines() if line.startswith("#")}
    for rule in RULES:
        assert rule.principle in headings, f"{rule.code}: '{rule.principle}' is not a section of the seed"


def test_checklist_and_anti_patterns_are_all_covered():
    text = SEED.read_text()
    items = re.findall(r"^### ☐ (.+)$", text, flags=re.MULTILINE)
    assert len(items) == 8
    covered = {c for r in RULES for c in r.checklist}
    assert set(items) <= covered, f"checklist items without a rule: {set(items) - covered}"
    assert covered <= set(items), f"rules cite checklist items the seed lacks: {covered - set(items)}"
    anti = {int(n) for n in re.findall(r"^### Anti-pattern (\d):", text, flags=re.MULTILINE)}
    assert anti == {1, 2, 3, 4, 5}
    assert anti <= {a for r in RULES for a in r.anti_patterns}


def test_every_rule_has_both_fixtures():
    assert sorted(CASES) == [r.code for r in RULES]


@pytest.mark.parametrize("code", sorted(CASES))
def test_violating_fixture_fires_and_passing_fixture_does_not(code):
    bad, good = CASES[code]
    fired = {f.code for f in _fired(bad).findings}
    assert code in fired, f"{code} did not fire on its violating fixture (fired: {sorted(fired)})"
    passed = _fired(good)
    assert code not in {f.code for f in passed.findings}, [f.message for f in passed.findings if f.code == code]


@pytest.mark.parametrize("number", sorted(ANTI_PATTERNS))
def test_seed_anti_pattern_wrong_fires_and_right_is_clean(number):
    code, wrong, right = ANTI_PATTERNS[number]
    assert code in {f.code for f in _fired(wrong).findings}
    clean = _fired(right)
    assert not clean.findings, [(f.code, f.message) for f in clean.findings]


def test_get_rule_by_name_and_unknown():
    assert get_rule("plain-deep-network").code == "AW201"
    with pytest.raises(archwise.ArchwiseError, match="did you mean .plain-deep-network."):
        get_rule("plain-deep-netwrk")
