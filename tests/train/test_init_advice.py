"""Initialization advice matches each layer's activation: He for the ReLU family, Xavier for
sigmoid/tanh, Xavier plus orthogonal ``weight_hh`` for RNN/LSTM/GRU; and a recurrent ``weight_hh``
whose singular values are far from 1 is found (checked against ``torch.linalg.svdvals`` here)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import archwise
from archwise.train.detectors._advice import check_initialization, init_gaps, layer_scheme


def _record(model: nn.Module):
    """The record a Monitor makes of ``model`` (one real step: the description is taken on attach)."""
    torch.manual_seed(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    with archwise.Monitor(model, opt, every=1) as mon:
        x = torch.randn(4, 6, 8) if any(isinstance(m, nn.RNNBase) for m in model.modules()) else torch.randn(4, 8)
        out = model(x)
        out = out[0] if isinstance(out, tuple) else out
        out.float().pow(2).mean().backward()
        opt.step()
        mon.step(0.0)
    return mon.record


class Recurrent(nn.Module):
    def __init__(self, cell: type[nn.RNNBase], hidden: int = 16) -> None:
        super().__init__()
        self.rnn = cell(8, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 3)

    def forward(self, x):
        out, _ = self.rnn(x)                 # (B, T, H)
        return self.head(out[:, -1])        # (B, 3)


def test_each_layer_gets_the_scheme_of_the_activation_it_feeds():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                          nn.Linear(16, 3))
    rec = _record(model)
    names = [layer.name for layer in rec.layers]
    schemes = {n: layer_scheme(rec, i) for i, n in enumerate(names)}
    assert schemes["0"] == "he"          # through the BatchNorm to the ReLU
    assert schemes["3"] == "xavier"      # feeds the tanh
    text = check_initialization(rec).text
    assert "He (nn.init.kaiming_normal_, nonlinearity='relu') for 0" in text
    assert "Xavier (nn.init.xavier_uniform_) for 3" in text


@pytest.mark.parametrize("cell", [nn.RNN, nn.LSTM, nn.GRU])
def test_default_recurrent_init_is_sound_and_gains_match_svd(cell):
    torch.manual_seed(0)
    model = Recurrent(cell)
    rec = _record(model)
    layer = next(layer for layer in rec.layers if layer.name == "rnn")
    hh = model.rnn.weight_hh_l0.detach().double()
    svs = torch.cat([torch.linalg.svdvals(b) for b in hh.split(model.rnn.hidden_size)])
    assert layer.hh_gain == pytest.approx(float(svs.max()))
    assert layer.hh_min_gain == pytest.approx(float(svs.min()))
    assert (layer.fan_in, layer.fan_out) == (8, 16)
    assert init_gaps(rec) == []           # PyTorch's uniform(±1/√H) stretches by about 1.15
    assert layer_scheme(rec, 0) == "recurrent"
    assert "orthogonal (nn.init.orthogonal_, per gate block) on weight_hh" in check_initialization(rec).text


def test_orthogonal_weight_hh_has_unit_gain():
    torch.manual_seed(0)
    model = Recurrent(nn.LSTM)
    for block in model.rnn.weight_hh_l0.data.split(16):
        nn.init.orthogonal_(block)
    rec = _record(model)
    layer = rec.layers[0]
    assert layer.hh_gain == pytest.approx(1.0, abs=1e-5) and layer.hh_min_gain == pytest.approx(1.0, abs=1e-5)
    assert init_gaps(rec) == []


@pytest.mark.parametrize("std, word", [(1.0, "saturating"), (0.005, "fading")])
def test_a_far_off_weight_hh_is_named_with_its_gain(std, word):
    torch.manual_seed(0)
    model = Recurrent(nn.RNN, hidden=32)
    nn.init.normal_(model.rnn.weight_hh_l0, std=std)
    rec = _record(model)
    gain = float(torch.linalg.svdvals(model.rnn.weight_hh_l0.detach().double()).max())
    gaps = [g for g in init_gaps(rec) if "weight_hh" in g]
    assert len(gaps) == 1 and word in gaps[0]
    assert f"{gain:.3g}×" in gaps[0]
    assert "orthogonal" in check_initialization(rec).text


def test_a_relu_net_with_a_tanh_output_gets_he_where_it_feeds_relu():
    """The advice used to be global: one tanh anywhere made it 'Xavier' for every layer."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 8), nn.Tanh())
    nn.init.kaiming_normal_(model[2].weight, nonlinearity="relu")
    rec = _record(model)
    assert [layer_scheme(rec, i) for i in range(3)] == ["he", "he", "xavier"]
    assert init_gaps(rec) == []
    text = check_initialization(rec).text
    assert "He (nn.init.kaiming_normal_, nonlinearity='relu') for 0, 2" in text and "Xavier (nn.init.xavier_uniform_) for 4" in text
