"""Issue 24, slow: the digits verdict does not move with the machine's load. Ten runs of ``archwise
ladder digits`` with the defaults, five of them beside a CPU-bound process (benchmarks/ladder_stability.py,
which also writes the README's table): the CNN is kept in every one and every score is the same."""

from __future__ import annotations

import pytest

from benchmarks import ladder_stability


@pytest.mark.slow
def test_the_cnn_is_kept_in_ten_of_ten_runs_quiet_or_loaded():
    result = ladder_stability.run(10)
    assert sum(r["loaded"] for r in result["runs"]) == 5
    assert result["cnn_kept"] == 10, [(r["run"], r["recommended"]) for r in result["runs"]]
    assert result["same_numbers"] == 10
    assert all(r["recommended"] == "resnet" and not r["skipped"] for r in result["runs"])
