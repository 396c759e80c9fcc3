"""The seed's decision tree ("Decision Tree: Architecture Selection"), exactly, with its thresholds
as settings.

    grid data (images)      → CNN: ResNet in general, MobileNet/EfficientNet-style for a mobile
                              target or a tight latency budget, ViT for very large datasets
    sequences, by length    → < 100 steps: LSTM/GRU · 100–4000: Transformer · > 4000: sparse/local attention
    graphs                  → test an MLP baseline first, then GCN / GraphSAGE / GAT
    tabular, by samples     → < 1000: linear / ridge · 1000–100k: small MLP (2–3 layers)
                              · > 100k: larger MLP or gradient boosting

The seed gives no number for "very large datasets"; the default follows the ViT paper
(Dosovitskiy et al., ICLR 2021), where ViT overtakes ResNets only when pre-trained on
ImageNet-21k (14M images) or more.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ArchwiseError
from ..problem import Modality, ProblemSpec

__all__ = ["FAMILIES", "Decision", "TreeThresholds", "decide", "EDGE_DEVICES"]

# The model families archwise names, shared by the tree (what it picks) and the linter (what a
# profiled model is).
FAMILIES = {
    "linear": "linear model (one weighted layer)",
    "mlp": "multi-layer perceptron",
    "cnn": "convolutional network",
    "efficient_cnn": "convolutional network with depthwise-separable convolutions (MobileNet/EfficientNet-style)",
    "vit": "vision Transformer (patches + self-attention)",
    "rnn": "recurrent network (LSTM/GRU/RNN)",
    "transformer": "Transformer with full self-attention",
    "local_transformer": "Transformer with local/sparse attention",
    "gnn": "graph neural network (message passing)",
}

# Targets the seed calls "mobile": a phone or an embedded board.
EDGE_DEVICES = frozenset({"phone-cpu", "jetson-orin"})


@dataclass(frozen=True)
class TreeThresholds:
    """Where the seed's tree branches. Override any of them: ``TreeThresholds(rnn_below=200)``."""

    rnn_below: int = 100  # sequences shorter than this → LSTM/GRU
    sparse_above: int = 4000  # sequences longer than this → sparse/local attention
    vit_from_samples: int = 10_000_000  # images: a dataset this large → ViT (ViT paper: ImageNet-21k, 14M)
    linear_below: int = 1000  # tabular samples below this → linear / ridge
    mlp_below: int = 100_000  # tabular samples below this → small MLP; above: larger MLP or boosting
    tight_latency_s: float = 0.010  # an inference budget this tight → an efficient CNN


@dataclass(frozen=True)
class Decision:
    """Where the tree lands for a problem, and the path it took."""

    family: str  # a key of FAMILIES: what the tree picks
    architecture: str  # the seed's named pick: "ResNet", "MobileNetV2/EfficientNet", "LSTM/GRU", …
    path: tuple[str, ...]  # each question of the tree and its answer for this problem
    accepts: tuple[str, ...]  # model families that agree with the pick
    also: tuple[str, ...] = ()  # what the seed says to try beside it
    principle: str = "Decision Tree: Architecture Selection"

    def describe(self) -> str:
        return f"{self.architecture} ({FAMILIES[self.family]})"


def decide(spec: ProblemSpec, thresholds: TreeThresholds | None = None) -> Decision:
    """Walk the seed's decision tree for ``spec``.

    Raises:
        ArchwiseError: a sequence without a length, or tabular data without a sample count (the
            branches the tree needs).

    Example:
        >>> decide(ProblemSpec("timeseries", seq_len=48)).architecture
        'LSTM/GRU'
        >>> decide(ProblemSpec("tabular", samples=500)).family
        'linear'
    """
    t = thresholds or TreeThresholds()
    m = spec.kind
    if m == Modality.IMAGE:
        grid = "grid-structured (images)? yes → CNN"
        if spec.samples is not None and spec.samples >= t.vit_from_samples:
            return Decision("vit", "ViT", (grid, f"{spec.samples:,} samples ≥ {t.vit_from_samples:,}: very large → ViT"),
                            ("vit", "cnn", "efficient_cnn"))
        edge = spec.device in EDGE_DEVICES
        tight = spec.latency_budget is not None and float(spec.latency_budget) <= t.tight_latency_s
        if edge or tight:
            why = (f"mobile target ({spec.device})" if edge
                   else f"latency budget {float(spec.latency_budget) * 1e3:g} ms ≤ {t.tight_latency_s * 1e3:g} ms")
            return Decision("efficient_cnn", "MobileNetV2/EfficientNet", (grid, f"{why} → efficient CNN"),
                            ("efficient_cnn", "cnn"))  # a CNN still; AW602 judges the missing depthwise convolutions
        return Decision("cnn", "ResNet", (grid, "general case → ResNet"), ("cnn", "efficient_cnn"))
    if m.sequential:
        if spec.seq_len is None:
            raise ArchwiseError(f"a {m.value} problem needs its sequence length for the decision tree; "
                                "give --seq-len N (steps or tokens per sample)")
        seq = f"sequential ({m.value})? yes → by length: {spec.seq_len:,} steps"
        if spec.seq_len < t.rnn_below:
            return Decision("rnn", "LSTM/GRU", (seq, f"< {t.rnn_below} → LSTM/GRU"), ("rnn",))
        if spec.seq_len <= t.sparse_above:
            return Decision("transformer", "Transformer", (seq, f"{t.rnn_below}–{t.sparse_above} → Transformer"),
                            ("transformer", "local_transformer"))
        return Decision("local_transformer", "sparse/local-attention Transformer (Longformer-style)",
                        (seq, f"> {t.sparse_above} → sparse Transformer"), ("local_transformer",))
    if m == Modality.GRAPH:
        return Decision("gnn", "GCN/GraphSAGE/GAT",
                        ("graph-structured? yes → test an MLP baseline first", "if the structure helps → GNN"),
                        ("gnn", "mlp", "linear"), also=("an MLP baseline on the node features alone",))
    if spec.samples is None:
        raise ArchwiseError("a tabular problem needs its number of training samples for the decision tree; "
                            "give --samples N")
    tab = f"tabular? yes → start simple, by samples: {spec.samples:,}"
    boosting = ("gradient boosting (LightGBM) as a reference beside any neural net",)
    if spec.samples < t.linear_below:
        return Decision("linear", "linear / ridge regression", (tab, f"< {t.linear_below:,} → linear / ridge"),
                        ("linear",), also=boosting)
    if spec.samples <= t.mlp_below:
        return Decision("mlp", "small MLP (2–3 layers)", (tab, f"{t.linear_below:,}–{t.mlp_below:,} → small MLP"),
                        ("mlp", "linear"), also=boosting)
    return Decision("mlp", "larger MLP or gradient boosting", (tab, f"> {t.mlp_below:,} → larger MLP or boosting"),
                    ("mlp", "linear"), also=boosting)
