"""FLOPs against hand formulas and against torch's own counter on a real CPU run.

Convention: FLOPs = 2 × MACs, multiply-accumulates only (see archwise.profile.CONVENTION).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import archwise


class NeedsValues(nn.Module):
    """Wraps a model behind a boolean-mask index, which has no meta kernel: forces a real run."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x):
        kept = x[x == x]  # every element, but the shape depends on values
        return self.inner(kept.view_as(x))


def lstm_macs(batch, steps, inp, hidden, layers):
    return sum(batch * steps * 4 * hidden * ((inp if i == 0 else hidden) + hidden) for i in range(layers))


def test_lstm_forward_matches_hand_formula():
    b, t, i, h, n = 4, 20, 16, 32, 2
    p = archwise.profile(nn.LSTM(i, h, n, batch_first=True), [(b, t, i)])
    assert p.macs_forward == lstm_macs(b, t, i, h, n)
    assert p.method == "meta"


def test_lstm_on_a_real_cpu_run_counts_the_fused_kernel():
    # On a real CPU nn.LSTM runs mkldnn_rnn_layer, which torch's own counter counts as 0.
    b, t, i, h, n = 4, 20, 16, 32, 2
    lstm = nn.LSTM(i, h, n, batch_first=True)
    with FlopCounterMode(display=False) as torch_counter:
        lstm(torch.randn(b, t, i))
    assert torch_counter.get_total_flops() == 0  # the hole archwise fills
    p = archwise.profile(NeedsValues(lstm), [(b, t, i)])
    assert p.method == "real"
    assert p.macs_forward == lstm_macs(b, t, i, h, n)
    assert p.flops_by_op["aten.mkldnn_rnn_layer"][0] == 2 * lstm_macs(b, t, i, h, n)


def test_gru_forward_matches_hand_formula():
    b, t, i, h = 3, 12, 10, 24
    p = archwise.profile(nn.GRU(i, h, batch_first=True), [(b, t, i)])
    assert p.macs_forward == b * t * 3 * h * (i + h)


def encoder_macs(b, t, e, f, layers):
    per_layer = b * t * 3 * e * e + 2 * b * t * t * e + b * t * e * e + 2 * b * t * e * f
    return layers * per_layer  # QKV, Q·Kᵀ and A·V, output projection, feed-forward


def test_transformer_encoder_matches_hand_formula():
    b, t, e, heads, f, layers = 4, 10, 64, 4, 128, 3
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(e, heads, f, batch_first=True), layers,
                                enable_nested_tensor=False)
    p = archwise.profile(enc, [(b, t, e)])
    assert p.macs_forward == encoder_macs(b, t, e, f, layers)
    assert p.structure.skip_counts() == {"residual": 2 * layers}


def test_attention_matmuls_are_counted_on_a_real_cpu_run():
    # F.scaled_dot_product_attention runs a fused CPU kernel that torch's counter counts as 0.
    class Attention(nn.Module):
        def forward(self, q):
            return F.scaled_dot_product_attention(q, q, q)

    b, h, t, d = 2, 4, 16, 8
    p = archwise.profile(NeedsValues(Attention()), [(b, h, t, d)])
    assert p.method == "real"
    assert p.macs_forward == 2 * b * h * t * t * d
    meta = archwise.profile(Attention(), [(b, h, t, d)])
    assert meta.macs_forward == p.macs_forward


def test_gcn_matches_hand_formula_with_self_loops(examples):
    n, e, fin, hidden, classes = 100, 400, 16, 32, 7
    g = torch.Generator().manual_seed(0)
    src = torch.randint(0, n, (e,), generator=g)
    dst = (src + torch.randint(1, n, (e,), generator=g)) % n  # no self-loops: GCN adds n of them
    edges = torch.stack([src, dst])
    p = archwise.profile(examples.GCN(fin, hidden, classes), [torch.randn(n, fin), edges])
    assert p.method == "real"
    assert "needs tensor values" in p.notes[0] and "module 'conv1' (GCNConv)" in p.notes[0]
    # Each layer: X·W (n·fin·fout) and the sparse product Â·(XW) over e + n edges (one MAC per element).
    assert p.macs_forward == n * fin * hidden + (e + n) * hidden + n * hidden * classes + (e + n) * classes


def test_depthwise_convolution_backward_counts_groups():
    # torch 2.13's formula ignores groups in the weight gradient (pytorch/pytorch#183405).
    c, hw, k = 32, 16, 3
    conv = nn.Conv2d(c, c, k, padding=1, groups=c, bias=False)
    p = archwise.profile(nn.Sequential(nn.Conv2d(3, c, 1), conv), [(2, 3, hw, hw)])
    depthwise = next(r for r in p.layers if r.path == "1")
    forward_macs = 2 * c * hw * hw * k * k
    assert depthwise.flops_forward == 2 * forward_macs
    assert depthwise.flops_backward == 2 * 2 * forward_macs  # input and weight gradients


@pytest.mark.parametrize("name", ["ResNet", "PlainCNN", "HighwayMLP"])
def test_forward_and_backward_match_torch_counter_on_a_real_run(examples, name):
    model = getattr(examples, name)()
    shape = (2, 64) if name == "HighwayMLP" else (2, 3, 32, 32)
    with FlopCounterMode(display=False) as counter:
        model(torch.randn(shape)).sum().backward()
    model.zero_grad(set_to_none=True)
    with FlopCounterMode(display=False) as forward_only:
        model(torch.randn(shape))
    p = archwise.profile(model, [shape])
    assert p.flops_forward == forward_only.get_total_flops()
    assert p.flops_forward + p.flops_backward == counter.get_total_flops()


def test_frozen_layers_cost_no_weight_gradient():
    net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    for q in net[0].parameters():
        q.requires_grad_(False)
    p = archwise.profile(net, [(2, 8)])
    assert p.params.trainable == 16 * 4 + 4
    first, last = (r for r in p.layers if r.type == "Linear")
    assert first.flops_backward == 0  # no weight gradient (frozen), no input gradient (an input)
    # Nothing before the last layer needs a gradient, so it computes its weight gradient only.
    assert last.flops_backward == last.flops_forward == 2 * 2 * 16 * 4


def test_mixed_inputs_keyword_and_dtype():
    class Embed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb, self.fc = nn.Embedding(50, 8), nn.Linear(8, 2)

        def forward(self, tokens, scale=None):
            return self.fc(self.emb(tokens) * scale)

    p = archwise.profile(Embed(), {"tokens": ((2, 5), torch.int64), "scale": (2, 5, 1)})
    assert p.inputs == ("tokens=int64:2x5", "scale=2x5x1")
    assert p.macs_forward == 2 * 5 * 8 * 2


def test_real_run_that_cannot_fit_says_what_failed():
    with torch.device("meta"):
        huge = NeedsValues(nn.Linear(300_000, 300_000))  # 360 GB of float32 weights, on meta only
    with pytest.raises(archwise.ArchwiseError) as err:
        archwise.profile(huge, [(1, 300_000)])
    message = str(err.value)
    assert "the meta run stopped at aten.index in the model's own forward (NeedsValues)" in message
    assert "would need about 7" in message and "GB" in message and "is available" in message
    assert "\n" not in message
