"""The seed's decision tree, one spec per branch, and the problem spec's validation."""

from __future__ import annotations

import pytest

from archwise import ArchwiseError, ProblemSpec
from archwise.design import TreeThresholds, decide


@pytest.mark.parametrize("spec, family, architecture", [
    (ProblemSpec("image", samples=50_000), "cnn", "ResNet"),
    (ProblemSpec("image", samples=50_000, device="phone-cpu"), "efficient_cnn", "MobileNetV2/EfficientNet"),
    (ProblemSpec("image", samples=50_000, latency_budget="5ms"), "efficient_cnn", "MobileNetV2/EfficientNet"),
    (ProblemSpec("image", samples=14_000_000), "vit", "ViT"),
    (ProblemSpec("timeseries", seq_len=99), "rnn", "LSTM/GRU"),
    (ProblemSpec("sequence", seq_len=100), "transformer", "Transformer"),
    (ProblemSpec("text", seq_len=4000), "transformer", "Transformer"),
    (ProblemSpec("text", seq_len=4001), "local_transformer", "sparse/local-attention Transformer (Longformer-style)"),
    (ProblemSpec("graph", nodes=2708, edges=10556), "gnn", "GCN/GraphSAGE/GAT"),
    (ProblemSpec("tabular", samples=999), "linear", "linear / ridge regression"),
    (ProblemSpec("tabular", samples=1000), "mlp", "small MLP (2–3 layers)"),
    (ProblemSpec("tabular", samples=100_000), "mlp", "small MLP (2–3 layers)"),
    (ProblemSpec("tabular", samples=100_001), "mlp", "larger MLP or gradient boosting"),
])
def test_each_branch_of_the_tree(spec, family, architecture):
    d = decide(spec)
    assert (d.family, d.architecture) == (family, architecture)
    assert family in d.accepts and d.path


def test_graph_and_tabular_branches_name_their_baselines():
    assert "MLP baseline" in decide(ProblemSpec("graph")).also[0]
    assert "gradient boosting" in decide(ProblemSpec("tabular", samples=5000)).also[0]


def test_thresholds_are_settings():
    assert decide(ProblemSpec("timeseries", seq_len=150), TreeThresholds(rnn_below=200)).family == "rnn"


@pytest.mark.parametrize("spec, message", [
    (lambda: decide(ProblemSpec("sequence")), "needs its sequence length"),
    (lambda: decide(ProblemSpec("tabular")), "needs its number of training samples"),
    (lambda: ProblemSpec("audio"), "unknown modality 'audio'"),
    (lambda: ProblemSpec("image", samples=-5), "samples must be at least 1"),
    (lambda: ProblemSpec("image", latency_budget="fast"), "cannot read duration"),
    (lambda: ProblemSpec("image", device="a100-80gb", memory="24GB"), "not both"),
    (lambda: ProblemSpec("image", input="3xx32"), "cannot read sample shape"),
    (lambda: ProblemSpec("image", loss="hinge"), "unknown loss 'hinge'"),
])
def test_bad_specs_are_clear_errors(spec, message):
    with pytest.raises(ArchwiseError, match=message):
        spec()
