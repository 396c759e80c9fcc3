"""The PyTorch profiler without the lines its native library prints to stderr.

On some builds libkineto writes a line to file descriptor 2 each time a profiler starts or stops
("USDT: … SyncActivityProfilerHandler … profiler_start"). archwise starts one for every distinct
convolution it measures, which would bury its own output; only the start and the stop are
silenced, never the code being profiled.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from torch.profiler import profile


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration (Python's own stderr is flushed first)."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@contextlib.contextmanager
def quiet_profile(**kwargs: Any) -> Iterator[profile]:
    """``torch.profiler.profile(**kwargs)``, started and stopped with native stderr silenced."""
    prof = profile(**kwargs)
    with native_stderr_silenced():
        prof.start()
    try:
        yield prof
    finally:
        with native_stderr_silenced():
            prof.stop()
