"""Depth, widths and skip connections, read from the op graph of small models built for the purpose."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import archwise


def test_plain_cnn_of_20_layers_has_depth_20_and_no_skips(examples):
    s = archwise.profile(examples.PlainCNN(depth=20), [(2, 3, 32, 32)]).structure
    assert s.depth == 20
    assert s.skip_connections == ()
    assert s.widths == [32] * 19 + [10]
    assert len(s.longest_path) == 20


def test_plain_deep_mlp_has_no_skips():
    layers = [m for _ in range(30) for m in (nn.Linear(16, 16), nn.ReLU())]
    s = archwise.profile(nn.Sequential(*layers), [(4, 16)]).structure
    assert s.depth == 30 and s.skip_connections == ()


def test_resnet_has_one_residual_connection_per_block(examples):
    s = archwise.profile(examples.ResNet(blocks=(2, 2, 2)), [(2, 3, 32, 32)]).structure
    assert s.skip_counts() == {"residual": 6}
    assert [k.end for k in s.skip_connections] == [f"stages.{i}" for i in range(6)]
    assert [k.projection for k in s.skip_connections] == [False, False, True, False, True, False]
    assert all(k.spans == 2 for k in s.skip_connections)
    assert s.depth == 1 + 2 * 6 + 1


def test_dense_block_is_found_dense(examples):
    s = archwise.profile(examples.DenseNet(layers=4), [(2, 3, 16, 16)]).structure
    assert s.skip_counts() == {"dense": 4}
    assert {k.start for k in s.skip_connections} == {"stem"}
    assert [k.spans for k in s.skip_connections] == [1, 2, 3, 4]


def test_highway_layer_is_found_gated(examples):
    s = archwise.profile(examples.HighwayMLP(depth=3), [(2, 64)]).structure
    assert s.skip_counts() == {"gated": 3}
    assert [k.end for k in s.skip_connections] == ["layers.0", "layers.1", "layers.2"]


def test_residual_with_a_learned_scale_on_the_branch_stays_residual():
    class Block(nn.Module):  # x + g·f(x), the gate on the branch only (not highway)
        def __init__(self) -> None:
            super().__init__()
            self.f, self.g = nn.Linear(8, 8), nn.Linear(8, 8)

        def forward(self, x):
            return x + torch.sigmoid(self.g(x)) * self.f(x)

    s = archwise.profile(Block(), [(2, 8)]).structure
    assert s.skip_counts() == {"residual": 1}


def test_multi_branch_concat_without_identity_is_not_a_skip():
    class Inception(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Conv2d(4, 4, 1)
            self.b = nn.Sequential(nn.Conv2d(4, 4, 1), nn.Conv2d(4, 4, 3, padding=1))

        def forward(self, x):
            return torch.cat([self.a(x), self.b(x)], dim=1)

    s = archwise.profile(Inception(), [(1, 4, 8, 8)]).structure
    assert s.skip_connections == () and s.depth == 2


def test_rotary_style_add_without_weights_is_not_a_skip():
    class Rotary(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q = nn.Linear(8, 8)

        def forward(self, x):
            q = self.q(x)
            return q * 0.5 + torch.cat([-q[..., 4:], q[..., :4]], dim=-1) * 0.5

    assert archwise.profile(Rotary(), [(2, 8)]).structure.skip_connections == ()


def test_recurrent_layers_count_by_layer_not_by_time_step(examples):
    s = archwise.profile(examples.LSTMClassifier(in_features=8, hidden=64, layers=2), [(2, 50, 8)]).structure
    assert s.depth == 3  # two LSTM layers and the head, however long the sequence
    assert s.widths == [64, 64, 5]
    assert s.families == ("recurrent", "linear")


def test_pre_norm_transformer_structure(examples):
    s = archwise.profile(examples.TinyTransformer(layers=2), ["int64:2x16"]).structure
    assert s.skip_counts() == {"residual": 4}
    assert s.depth == 2 * 4 + 1
    assert "attention" in s.families and "embedding" in s.families


def test_graph_network_families(examples):
    p = archwise.profile(examples.GCN(), [(30, 16), "int64:2x90:0..30"])
    assert p.structure.families == ("linear", "message_passing", "relu")
    assert p.structure.depth == 2


def test_weight_shared_layer_called_twice_counts_twice():
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(8, 8)

        def forward(self, x):
            return self.fc(F.relu(self.fc(x)))

    p = archwise.profile(Twice(), [(2, 8)])
    assert p.structure.depth == 2
    (row,) = [r for r in p.layers if r.path == "fc"]
    assert row.calls == 2 and row.flops_forward == 2 * 2 * 2 * 8 * 8


@pytest.mark.parametrize("width", [8, 100])
def test_widths_follow_out_features(width):
    net = nn.Sequential(nn.Linear(4, width), nn.ReLU(), nn.Linear(width, 3))
    s = archwise.profile(net, [(1, 4)]).structure
    assert s.widths == [width, 3]
    assert [w.kind for w in s.weighted_layers] == ["linear", "linear"]
