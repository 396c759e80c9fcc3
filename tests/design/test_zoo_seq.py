"""Sequence, vision-transformer and graph builders: known counts, local attention, formula checks."""

from __future__ import annotations

import pytest
import torch

from archwise.design.zoo import arch_params, create_arch


def _numel(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_vit_b16_has_torchvisions_count():
    kwargs = dict(patch=16, d_model=768, depth=12, heads=12, img_size=224, num_outputs=1000)
    assert arch_params("vit", **kwargs) == 86_567_656
    with torch.device("meta"):
        model = create_arch("vit", **kwargs)
    assert _numel(model) == 86_567_656


def test_local_attention_is_local():
    torch.manual_seed(0)
    model = create_arch("local_transformer", d_model=32, depth=1, heads=2, window=50, in_features=4,
                        seq_len=1000).eval()
    x = torch.randn(1, 1000, 4)
    y = x.clone()
    y[:, 0] += 10.0
    with torch.no_grad():
        a, b = model.features(x), model.features(y)
    assert torch.equal(a[:, 900], b[:, 900]), "position 900 must not see position 0 (two blocks of 50 away at most)"
    assert torch.equal(a[:, 100:], b[:, 100:]), "blocks past the neighbour of block 0 are untouched"
    assert not torch.allclose(a[:, 99], b[:, 99]), "the neighbouring block does see position 0"


def test_local_attention_with_full_window_matches_full_attention():
    torch.manual_seed(0)
    kwargs = dict(d_model=32, depth=2, heads=4, in_features=4, seq_len=40, num_outputs=3)
    local = create_arch("local_transformer", window=40, **kwargs).eval()  # one block: every step sees every step
    full = create_arch("transformer", **kwargs).eval()
    full.load_state_dict(local.state_dict())
    x = torch.randn(2, 37, 4)
    with torch.no_grad():
        torch.testing.assert_close(local(x), full(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("steps", [1, 49, 101, 257])
def test_local_transformer_runs_when_steps_do_not_divide_by_window(steps: int):
    model = create_arch("local_transformer", d_model=32, depth=2, heads=2, window=50, in_features=4, seq_len=300,
                        num_outputs=3)
    out = model(torch.randn(2, steps, 4))
    assert out.shape == (2, 3) and torch.isfinite(out).all()
    out.square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_local_transformer_traces_on_meta():
    with torch.device("meta"):
        model = create_arch("local_transformer", seq_len=1000, window=64, vocab_size=500)
        out = model(torch.zeros(2, 1000, dtype=torch.long))
    assert out.shape == (2, 10) and out.device.type == "meta"


@pytest.mark.parametrize("name", ["gcn", "sage", "gat"])
@pytest.mark.parametrize("kwargs", [dict(in_features=3, hidden=8, layers=1, num_outputs=2),
                                    dict(in_features=16, hidden=64, layers=2, num_outputs=7),
                                    dict(in_features=10, hidden=12, layers=4, num_outputs=5, heads=3),
                                    dict(in_features=128, hidden=256, layers=3, num_outputs=40, heads=8)])
def test_gnn_formulas_match_the_real_layers(name: str, kwargs: dict):
    pytest.importorskip("torch_geometric")
    if name != "gat":
        kwargs = {k: v for k, v in kwargs.items() if k != "heads"}
    assert _numel(create_arch(name, **kwargs)) == arch_params(name, **kwargs)


@pytest.mark.parametrize("name,kwargs", [("lstm", dict(in_features=7, hidden=20, layers=3, bidirectional=True)),
                                         ("gru", dict(hidden=20, layers=2, vocab_size=50)),
                                         ("transformer", dict(d_model=48, depth=3, heads=6, mlp_ratio=2)),
                                         ("local_transformer", dict(d_model=48, depth=1, heads=3, window=16,
                                                                    seq_len=500, vocab_size=70))])
def test_sequence_formulas_match_on_meta(name: str, kwargs: dict):
    with torch.device("meta"):
        model = create_arch(name, **kwargs)
    assert _numel(model) == arch_params(name, **kwargs)
