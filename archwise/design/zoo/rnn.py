"""Recurrent sequence classifiers: LSTM and GRU.

- LSTM (Hochreiter & Schmidhuber, 1997, "Long Short-Term Memory"): input, forget and output gates
  around a cell state; four gate blocks per layer.
- GRU (Cho et al., 2014, "Learning Phrase Representations using RNN Encoder-Decoder"): update and
  reset gates, no separate cell state; three gate blocks per layer.

Both read a sequence (B, T, in_features) of float features, or (B, T) int64 token ids through an
``nn.Embedding`` when ``vocab_size > 0``, and classify (or regress) from the last step's output,
both directions concatenated when bidirectional.
"""

from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class RNNConfig:
    cell: str = "lstm"  # "lstm" or "gru"
    in_features: int = 8  # features per step (ignored for the input when vocab_size > 0)
    hidden: int = 64  # hidden units per direction (and the embedding width when vocab_size > 0)
    layers: int = 1  # stacked recurrent layers
    bidirectional: bool = False  # also read the sequence backwards; the head sees both directions
    num_outputs: int = 10  # classes (logits) or regression targets
    vocab_size: int = 0  # 0: float features (B, T, in_features); > 0: int64 token ids (B, T)
    dropout: float = 0.0  # between stacked layers and before the head


class RNNClassifier(nn.Module):
    def __init__(self, cfg: RNNConfig):
        super().__init__()
        assert cfg.cell in ("lstm", "gru"), f"cell must be 'lstm' or 'gru', found {cfg.cell!r}"
        assert cfg.layers >= 1, "an RNN needs at least one layer"
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.hidden) if cfg.vocab_size > 0 else None
        rnn_cls = nn.LSTM if cfg.cell == "lstm" else nn.GRU
        self.rnn = rnn_cls(cfg.hidden if cfg.vocab_size > 0 else cfg.in_features, cfg.hidden, cfg.layers,
                           batch_first=True, bidirectional=cfg.bidirectional,
                           dropout=cfg.dropout if cfg.layers > 1 else 0.0)  # PyTorch drops between layers only
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden * (2 if cfg.bidirectional else 1), cfg.num_outputs)

    def forward(self, x):
        if self.embed is not None:
            x = self.embed(x)  # (B, T) ids → (B, T, hidden)
        out, _ = self.rnn(x)  # (B, T, hidden · directions)
        if self.cfg.bidirectional:
            h = self.cfg.hidden  # forward direction at its last step, backward direction at its last (step 0)
            last = torch.cat([out[:, -1, :h], out[:, 0, h:]], dim=-1)  # (B, 2 · hidden)
        else:
            last = out[:, -1]  # (B, hidden)
        return self.head(self.drop(last))  # (B, outputs)


# ---- builders (registered; not emitted) ----
from .registry import register_arch  # noqa: E402


def _rnn_params(gates, in_features, hidden, layers, bidirectional, num_outputs, vocab_size, **_):
    dirs = 2 if bidirectional else 1
    total = vocab_size * hidden if vocab_size > 0 else 0
    width = hidden if vocab_size > 0 else in_features
    for _layer in range(layers):  # weight_ih, weight_hh and two bias vectors (b_ih, b_hh) per gate block
        total += dirs * gates * (hidden * (width + hidden) + 2 * hidden)
        width = hidden * dirs
    return total + (hidden * dirs + 1) * num_outputs


def _sequence(batch, in_features, seq_len, vocab_size, **_):
    if vocab_size > 0:
        return [f"int64:{batch}x{seq_len}:0..{vocab_size}"]
    return [(batch, seq_len, in_features)]


@register_arch(family="rnn", params=lambda **kw: _rnn_params(4, **kw), inputs=_sequence,
               test_sizes=({"in_features": 4, "hidden": 16, "seq_len": 12, "num_outputs": 3},
                           {"hidden": 32, "layers": 2, "bidirectional": True, "seq_len": 20, "vocab_size": 100,
                            "dropout": 0.1}))
def lstm(in_features=8, hidden=64, layers=1, bidirectional=False, num_outputs=10, seq_len=50, vocab_size=0,
         dropout=0.0):
    """LSTM sequence classifier: the head reads the last step (Hochreiter & Schmidhuber 1997)."""
    return RNNClassifier(RNNConfig("lstm", in_features, hidden, layers, bidirectional, num_outputs, vocab_size,
                                   dropout))


@register_arch(family="rnn", params=lambda **kw: _rnn_params(3, **kw), inputs=_sequence,
               test_sizes=({"in_features": 4, "hidden": 16, "seq_len": 12, "num_outputs": 3},
                           {"in_features": 10, "hidden": 48, "layers": 3, "bidirectional": True, "seq_len": 20,
                            "num_outputs": 1}))
def gru(in_features=8, hidden=64, layers=1, bidirectional=False, num_outputs=10, seq_len=50, vocab_size=0,
        dropout=0.0):
    """GRU sequence classifier: the head reads the last step (Cho et al. 2014)."""
    return RNNClassifier(RNNConfig("gru", in_features, hidden, layers, bidirectional, num_outputs, vocab_size,
                                   dropout))
