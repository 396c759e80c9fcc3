"""The one exception type archwise raises for bad input.

An :class:`ArchwiseError` carries a one-line message that says what was expected, what was
found and what to do. The CLI prints it as ``error: <message>`` and exits with code 2; the
Python API lets it propagate.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["ArchwiseError", "did_you_mean"]


class ArchwiseError(Exception):
    """Bad input or a model that cannot be profiled; the message is meant for the user."""


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest choices, or ``""`` when none is close.

    Example:
        >>> did_you_mean("ResNte", ["ResNet", "PlainCNN"])
        "; did you mean 'ResNet'?"
    """
    close = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
