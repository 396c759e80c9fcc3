"""The ladder as a picture: test score against parameters, error bars over seeds, kept and rejected."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .run import LadderResult

__all__ = ["plot_ladder", "draw_ladder"]


def draw_ladder(ax, result: dict[str, Any]) -> None:  # noqa: ANN001
    """Draw a ladder's JSON form (``LadderResult.to_dict()``, ``ladder.json``) on ``ax``: ladder.png
    and the ladder section of ``archwise report`` are this drawing."""
    from matplotlib.lines import Line2D

    for r in result["rungs"]:
        best = r["name"] == result["recommended"]
        ax.errorbar([r["params"]], [r["test_score"]], yerr=[r["test_std"]],
                    fmt="*" if best else ("o" if r["kept"] else "x"), markersize=14 if best else 8, capsize=4,
                    color="#1b7837" if r["kept"] else "#999999")
        ax.annotate(r["name"] + (" (recommended)" if best else ""), (r["params"], r["test_score"]),
                    textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.set_xscale("log")
    ax.margins(x=0.2, y=0.15)
    ax.set_xlabel("parameters (LightGBM: tree nodes)")
    ax.set_ylabel(f"test {result['metric']}" + (" (higher is better)" if result["metric"] == "accuracy"
                                                 else " (lower is better)"))
    n = len(result["seeds"])
    ax.set_title(f"archwise ladder: {result['data']} ({n} seed{'s' if n > 1 else ''}, mean ± std)", fontsize=10)
    ax.legend(handles=[Line2D([], [], marker="o", ls="", color="#1b7837", label="kept"),
                       Line2D([], [], marker="x", ls="", color="#999999", label="rejected"),
                       Line2D([], [], marker="*", ls="", color="#1b7837", markersize=12, label="recommended")],
              fontsize=8, loc="best")
    ax.grid(alpha=0.3)


def plot_ladder(result: LadderResult | dict[str, Any], path: str | Path) -> Path:
    """ladder.png: the result (or its JSON form) drawn to ``path``."""
    from matplotlib.figure import Figure

    path = Path(path)
    fig = Figure(figsize=(7, 4.2), dpi=120)
    draw_ladder(fig.subplots(), result if isinstance(result, dict) else result.to_dict())
    fig.tight_layout()
    fig.savefig(path)
    return path
