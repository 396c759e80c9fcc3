"""Shared fixtures: the example models, HF models built on meta, and golden-file comparison.

Regenerate golden files after an intended change with ``pytest --update-golden``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from the current output")


@pytest.fixture(scope="session")
def examples():
    """examples/models.py, imported as a user would copy it."""
    spec = importlib.util.spec_from_file_location("archwise_examples_models", ROOT / "examples" / "models.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def build_hf(name: str, **config):
    """A transformers model built from its default config (plus overrides) on the meta device."""
    import transformers

    transformers.logging.set_verbosity_error()
    cls = getattr(transformers, name)
    with torch.device("meta"):
        return cls(cls.config_class(**config))


def _normalize(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """``golden("name.txt", text)``: compare with tests/golden/name.txt (trailing spaces ignored)."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        actual = _normalize(text)
        if request.config.getoption("--update-golden") or not path.exists():
            if not request.config.getoption("--update-golden"):
                pytest.fail(f"golden file {path} is missing; run pytest --update-golden to create it")
            path.write_text(actual)
            return
        expected = path.read_text()
        assert actual == expected, f"output differs from {path}; if the change is intended, run pytest --update-golden"

    return check
