"""`make demo`'s script end to end (slow: about 80 s): every step runs and the report holds all five
sections. The fresh-clone run of `make demo` itself is recorded in the README and the issue note."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_demo_writes_one_report_with_every_section(tmp_path) -> None:
    env = {**os.environ, "ARCHWISE_DEMO_OUT": str(tmp_path / "demo"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(["bash", str(ROOT / "examples" / "demo.sh")], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    html = (tmp_path / "demo" / "report.html").read_text()
    assert re.findall(r'data-kind="(\w+)"', html) == ["design", "ladder", "profile", "check", "monitor"]
    assert "recommended resnet" in run.stdout
    assert f"Open {tmp_path / 'demo' / 'report.html'}" in run.stdout
    for name in ("design.json", "profile.json", "check.json", "run.jsonl", "ladder/ladder.json"):
        assert (tmp_path / "demo" / name).is_file(), name
