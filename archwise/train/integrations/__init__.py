"""Optional framework integrations for :class:`archwise.Monitor`.

* :mod:`archwise.train.integrations.lightning`: ``ArchwiseCallback``, a Lightning ``Callback``
  (``pip install 'archwise[lightning]'``).
* :mod:`archwise.train.integrations.hf`: ``ArchwiseTrainerCallback``, a ``transformers`` ``TrainerCallback``
  (``pip install 'archwise[hf]'``).

Each is imported from its own module, so importing this package pulls in neither framework.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import ArchwiseError
from ..monitor import Monitor, check_every

__all__: list[str] = []

_MONITOR_OPTIONS = ("window", "saturation_at", "update_ratio")


def _check_options(owner: str, every: int, options: dict[str, Any]) -> None:
    """Refuse a bad ``every`` or an option the Monitor does not take, when the callback is made."""
    check_every(every)
    unknown = set(options) - set(_MONITOR_OPTIONS)
    if unknown:
        raise ArchwiseError(f"{owner} got unknown option(s) {', '.join(sorted(unknown))}; expected "
                            "window, saturation_at or update_ratio")


def _finish(monitor: Monitor, path: Path | None, print_diagnoses: bool, main_process: bool) -> list[Any]:
    """Diagnose a detached monitor; on the main process save the run and print the diagnoses."""
    diagnoses = monitor.diagnose()
    if main_process:
        if path is not None:
            monitor.save(path)
        if print_diagnoses:
            print(_report(diagnoses, len(monitor.record.steps), len(monitor.record.epochs)))
    return diagnoses


def _dataset_len(loader: Any) -> int | None:
    """How many examples a data loader (or a list of them) holds; ``None`` when it cannot tell."""
    loaders = loader if isinstance(loader, (list, tuple)) else [loader]
    try:
        sizes = [len(dl.dataset) for dl in loaders]
    except (AttributeError, TypeError, NotImplementedError):
        return None
    return sum(sizes) or None


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
