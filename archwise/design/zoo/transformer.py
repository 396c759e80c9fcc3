"""Pre-norm Transformer encoders for sequence classification, with full or sliding-window attention.

- Transformer encoder (Vaswani et al., 2017, "Attention Is All You Need") in the pre-norm
  arrangement of Xiong et al., 2020 ("On Layer Normalization in the Transformer Architecture"):
  x = x + attn(LN(x)); x = x + mlp(LN(x)), a final LayerNorm, mean pooling over time, a linear head.
  Attention is written nanoGPT-style: one Linear to q, k, v, ``F.scaled_dot_product_attention``.
- Local Transformer: the same encoder with block-local sliding-window attention (Longformer,
  Beltagy et al., 2020, "Longformer: The Long-Document Transformer"): the sequence is cut into
  blocks of ``window`` queries, each attending to the keys of its own block and its two neighbours,
  so memory and compute grow as O(T · window) instead of O(T²).

Inputs are (B, T, in_features) float features, or (B, T) int64 token ids when ``vocab_size > 0``.
"""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class TransformerConfig:
    d_model: int = 128  # model width (the embedding width when vocab_size > 0)
    depth: int = 4  # Transformer blocks
    heads: int = 4  # attention heads; d_model must divide by it
    mlp_ratio: int = 4  # MLP hidden width = mlp_ratio · d_model
    in_features: int = 8  # features per step (ignored for the input when vocab_size > 0)
    num_outputs: int = 10  # classes (logits) or regression targets
    seq_len: int = 256  # longest sequence: rows of the learned positional embedding
    vocab_size: int = 0  # 0: float features (B, T, in_features); > 0: int64 token ids (B, T)
    dropout: float = 0.0  # on the embeddings, the attention weights and each residual branch
    window: int = 0  # 0: full attention; > 0: block-local attention over blocks of this many steps


class SelfAttention(nn.Module):
    """Full multi-head self-attention: every step attends to every step (O(T²))."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.heads, self.dropout = cfg.heads, cfg.dropout
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)  # 3 × (B, H, T, D)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0)  # (B, H, T, D)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))  # (B, T, C)


class LocalSelfAttention(nn.Module):
    """Block-local attention: queries in block i see the keys of blocks i − 1, i, i + 1 (O(T · window))."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.heads, self.dropout, self.window = cfg.heads, cfg.dropout, cfg.window
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)

    def forward(self, x):
        B, T, C = x.shape
        w = self.window
        pad = (-T) % w  # pad T up to a multiple of the window
        nb = (T + pad) // w  # query blocks
        q, k, v = self.qkv(x).view(B, T, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)  # 3 × (B, H, T, D)
        D = q.shape[-1]
        q = F.pad(q, (0, 0, 0, pad)).view(B, self.heads, nb, w, D)  # (B, H, nb, w, D)
        # keys/values: one empty block before, padding and one empty block after → nb + 2 blocks
        k = F.pad(k, (0, 0, w, pad + w)).view(B, self.heads, nb + 2, w, D)
        v = F.pad(v, (0, 0, w, pad + w)).view(B, self.heads, nb + 2, w, D)
        k = torch.cat([k[:, :, :-2], k[:, :, 1:-1], k[:, :, 2:]], dim=3)  # (B, H, nb, 3w, D): blocks i−1, i, i+1
        v = torch.cat([v[:, :, :-2], v[:, :, 1:-1], v[:, :, 2:]], dim=3)
        pos = torch.arange((nb + 2) * w, device=x.device)
        real = ((pos >= w) & (pos < w + T)).view(nb + 2, w)  # key positions that hold a real step
        mask = torch.cat([real[:-2], real[1:-1], real[2:]], dim=1)  # (nb, 3w): True where attention may go
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, :],  # (nb, 1, 3w) broadcasts
                                           dropout_p=self.dropout if self.training else 0.0)  # (B, H, nb, w, D)
        y = y.reshape(B, self.heads, nb * w, D)[:, :, :T]  # (B, H, T, D)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))  # (B, T, C)


class MLP(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.d_model, cfg.mlp_ratio * cfg.d_model)
        self.proj = nn.Linear(cfg.mlp_ratio * cfg.d_model, cfg.d_model)

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x)))  # (B, T, C) → (B, T, ratio · C) → (B, T, C)


class Block(nn.Module):
    """Pre-norm block: x + attn(LN(x)), then x + mlp(LN(x))."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = LocalSelfAttention(cfg) if cfg.window > 0 else SelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = MLP(cfg)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x):
        x = x + self.drop(self.attn(self.ln1(x)))  # (B, T, C)
        return x + self.drop(self.mlp(self.ln2(x)))


class TransformerEncoder(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        assert cfg.d_model % cfg.heads == 0, f"d_model={cfg.d_model} must divide by heads={cfg.heads}"
        assert cfg.window >= 0, "window must be 0 (full attention) or positive"
        self.cfg = cfg
        if cfg.vocab_size > 0:
            self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        else:
            self.embed = nn.Linear(cfg.in_features, cfg.d_model)
        self.pos = nn.Parameter(torch.randn(1, cfg.seq_len, cfg.d_model) * 0.02)  # learned positions
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.depth)])
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.num_outputs)

    def features(self, x):
        """Per-step hidden states after the final LayerNorm: (B, T) or (B, T, F) → (B, T, C)."""
        T = x.shape[1]
        assert T <= self.cfg.seq_len, f"sequence of {T} steps is longer than seq_len={self.cfg.seq_len}"
        x = self.drop(self.embed(x) + self.pos[:, :T])  # (B, T, C)
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x)

    def forward(self, x):
        return self.head(self.features(x).mean(dim=1))  # mean over time: (B, C) → (B, outputs)


# ---- builders (registered; not emitted) ----
from .registry import register_arch  # noqa: E402


def _transformer_params(d_model, depth, mlp_ratio, in_features, num_outputs, seq_len, vocab_size, **_):
    d, hidden = d_model, mlp_ratio * d_model
    embed = vocab_size * d if vocab_size > 0 else (in_features + 1) * d
    block = (2 * 2 * d  # two LayerNorms
             + d * 3 * d + 3 * d + d * d + d  # qkv and output projection, with biases
             + d * hidden + hidden + hidden * d + d)  # MLP
    return embed + seq_len * d + depth * block + 2 * d + (d + 1) * num_outputs


def _sequence(batch, in_features, seq_len, vocab_size, **_):
    if vocab_size > 0:
        return [f"int64:{batch}x{seq_len}:0..{vocab_size}"]
    return [(batch, seq_len, in_features)]


@register_arch(family="transformer", params=_transformer_params, inputs=_sequence,
               test_sizes=({"d_model": 32, "depth": 1, "heads": 2, "in_features": 4, "seq_len": 16,
                            "num_outputs": 3},
                           {"d_model": 64, "depth": 2, "heads": 4, "mlp_ratio": 2, "seq_len": 32, "vocab_size": 100,
                            "dropout": 0.1}))
def transformer(d_model=128, depth=4, heads=4, mlp_ratio=4, in_features=8, num_outputs=10, seq_len=256,
                vocab_size=0, dropout=0.0):
    """Pre-norm Transformer encoder, mean-pooled, for sequence classification (Xiong et al. 2020)."""
    return TransformerEncoder(TransformerConfig(d_model, depth, heads, mlp_ratio, in_features, num_outputs, seq_len,
                                                vocab_size, dropout, window=0))


@register_arch(family="local_transformer", params=_transformer_params, inputs=_sequence,
               test_sizes=({"d_model": 32, "depth": 1, "heads": 2, "window": 8, "in_features": 4, "seq_len": 30,
                            "num_outputs": 3},
                           {"d_model": 64, "depth": 2, "heads": 4, "mlp_ratio": 2, "window": 16, "seq_len": 100,
                            "vocab_size": 100, "dropout": 0.1}))
def local_transformer(d_model=128, depth=4, heads=4, mlp_ratio=4, window=128, in_features=8, num_outputs=10,
                      seq_len=8192, vocab_size=0, dropout=0.0):
    """Pre-norm Transformer encoder with block-local sliding-window attention, O(T·window) (Longformer-style)."""
    assert window >= 1, "window must be at least 1 step"
    return TransformerEncoder(TransformerConfig(d_model, depth, heads, mlp_ratio, in_features, num_outputs, seq_len,
                                                vocab_size, dropout, window))
