"""Optional framework integrations for :class:`archwise.Monitor`.

* :mod:`archwise.train.integrations.lightning`: ``ArchwiseCallback``, a Lightning ``Callback``
  (``pip install 'archwise[lightning]'``).
* :mod:`archwise.train.integrations.hf`: ``ArchwiseTrainerCallback``, a ``transformers`` ``TrainerCallback``
  (``pip install 'archwise[hf]'``).

Each is imported from its own module, so importing this package pulls in neither framework.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []


def _report(diagnoses: list[Any], steps: int, epochs: int) -> str:
    """The diagnoses as the integrations print them at the end of training (plain text)."""
    if not diagnoses:
        return f"archwise: no training problems found ({steps} steps, {epochs} epochs recorded)"
    lines = [f"archwise: {len(diagnoses)} finding{'s' if len(diagnoses) != 1 else ''} "
             f"({steps} steps, {epochs} epochs recorded)"]
    for d in diagnoses:
        severity = getattr(d.severity, "value", d.severity)
        lines.append(f"  [{severity}] {d.problem}: {d.summary}")
        for p in d.prescriptions[:3]:
            lines.append(f"      - {p.text}")
    return "\n".join(lines)
