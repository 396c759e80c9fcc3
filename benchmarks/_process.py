"""Run a command in its own process: wall time, and peak RSS from the kernel's accounting (wait4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def archwise_json(args: list[str]) -> dict[str, Any]:
    """``archwise ARGS`` (which must print JSON): its output, wall seconds, peak RSS and exit code."""
    cmd = [str(Path(sys.executable).parent / "archwise"), *args]
    with tempfile.TemporaryFile() as out:  # a file, not a pipe: the process is reaped with wait4
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        data = json.load(out)
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "exit_code": proc.returncode, "report": data}
