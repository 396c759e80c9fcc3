"""The ladder as a picture: test score against parameters, error bars over seeds, kept and rejected."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .run import LadderResult

__all__ = ["plot_ladder"]


def plot_ladder(result: LadderResult, path: str | Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for r in result.rungs:
        mean, std = r.stats("test_score")
        kept = bool(r.verdict and r.verdict.kept)
        best = r.rung.name == result.recommended
        ax.errorbar([r.params], [mean], yerr=[std], fmt="*" if best else ("o" if kept else "x"),
                    markersize=14 if best else 8, capsize=4, color="#1b7837" if kept else "#999999",
                    label=None)
        ax.annotate(r.rung.name + (" (recommended)" if best else ""), (r.params, mean), textcoords="offset points",
                    xytext=(6, 6), fontsize=8)
    ax.set_xscale("log")
    ax.margins(x=0.2, y=0.15)
    ax.set_xlabel("parameters (LightGBM: tree nodes)")
    ax.set_ylabel(f"test {result.metric}" + (" (higher is better)" if result.metric == "accuracy"
                                              else " (lower is better)"))
    ax.set_title(f"archwise ladder: {result.dataset} ({len(result.seeds)} seed{'s' if len(result.seeds) > 1 else ''},"
                 " mean ± std)", fontsize=10)
    from matplotlib.lines import Line2D

    ax.legend(handles=[Line2D([], [], marker="o", ls="", color="#1b7837", label="kept"),
                       Line2D([], [], marker="x", ls="", color="#999999", label="rejected"),
                       Line2D([], [], marker="*", ls="", color="#1b7837", markersize=12, label="recommended")],
              fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
