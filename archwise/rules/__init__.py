"""``archwise check``: the seed's design checklist and anti-patterns as a linter with rule codes.

Rules live one per file under ``archwise/rules/<family>/``; ``codes.py`` holds the table of codes.
"""

from .config import CheckConfig, load_config, parse_threshold
from .engine import CheckReport, check, check_report, infer_modality
from .registry import DOC_SECTIONS, Finding, Rule, Severity, Violation, all_rules, get_rule

__all__ = ["check", "check_report", "CheckReport", "CheckConfig", "load_config", "parse_threshold", "Finding", "Rule",
           "Severity", "Violation", "all_rules", "get_rule", "infer_modality", "DOC_SECTIONS"]
