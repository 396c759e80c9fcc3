"""Run every benchmark; each prints its table and writes its JSON under benchmarks/results/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["profile_vs_anchors.py", "memory_vs_anchors.py", "fit_examples.py", "latency_vs_measured.py",
              "check_reference_models.py", "design_grid.py", "monitor_overhead.py", "diagnose_suite.py",
              "ladder_runs.py"]

if __name__ == "__main__":
    for script in BENCHMARKS:
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script), *sys.argv[1:]], check=True)
