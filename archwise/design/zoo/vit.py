"""Vision Transformer (Dosovitskiy et al., 2021, "An Image is Worth 16x16 Words: Transformers for
Image Recognition at Scale").

The image is cut into non-overlapping ``patch`` × ``patch`` patches by a strided convolution, a
learned class token is prepended, learned position embeddings are added, and pre-norm Transformer
blocks (LayerNorm eps 1e-6 as in the paper's implementation) process the tokens; a final LayerNorm
and a linear head read the class token. ViT-B/16 is patch=16, d_model=768, depth=12, heads=12 at
224 × 224 (86.6 M parameters with a 1000-class head).
"""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ViTConfig:
    patch: int = 4  # patch side in pixels (the patch embedding's kernel and stride)
    d_model: int = 192  # token width
    depth: int = 6  # Transformer blocks
    heads: int = 3  # attention heads; d_model must divide by it
    mlp_ratio: int = 4  # MLP hidden width = mlp_ratio · d_model
    in_chans: int = 3  # image channels
    num_outputs: int = 10  # classes (logits) or regression targets
    img_size: int = 32  # image side in pixels; must divide by patch
    dropout: float = 0.0  # on the embeddings, the attention weights and each residual branch


class Attention(nn.Module):
    def __init__(self, cfg: ViTConfig):
        super().__init__()
        self.heads, self.dropout = cfg.heads, cfg.dropout
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.qkv(x).view(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)  # 3 × (B, H, N, D)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0)  # (B, H, N, D)
        return self.proj(y.transpose(1, 2).reshape(B, N, C))  # (B, N, C)


class MLP(nn.Module):
    def __init__(self, cfg: ViTConfig):
        super().__init__()
        self.fc = nn.Linear(cfg.d_model, cfg.mlp_ratio * cfg.d_model)
        self.proj = nn.Linear(cfg.mlp_ratio * cfg.d_model, cfg.d_model)

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x)))  # (B, N, C) → (B, N, ratio · C) → (B, N, C)


class Block(nn.Module):
    """Pre-norm block: x + attn(LN(x)), then x + mlp(LN(x))."""

    def __init__(self, cfg: ViTConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model, eps=1e-6)
        self.attn = Attention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model, eps=1e-6)
        self.mlp = MLP(cfg)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x):
        x = x + self.drop(self.attn(self.ln1(x)))  # (B, N, C)
        return x + self.drop(self.mlp(self.ln2(x)))


class ViT(nn.Module):
    def __init__(self, cfg: ViTConfig):
        super().__init__()
        assert cfg.img_size % cfg.patch == 0, f"img_size={cfg.img_size} must divide by patch={cfg.patch}"
        assert cfg.d_model % cfg.heads == 0, f"d_model={cfg.d_model} must divide by heads={cfg.heads}"
        self.cfg = cfg
        num_patches = (cfg.img_size // cfg.patch) ** 2
        self.patch_embed = nn.Conv2d(cfg.in_chans, cfg.d_model, kernel_size=cfg.patch, stride=cfg.patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.d_model))
        self.pos = nn.Parameter(torch.randn(1, num_patches + 1, cfg.d_model) * 0.02)  # learned positions
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.Sequential(*[Block(cfg) for _ in range(cfg.depth)])
        self.ln_f = nn.LayerNorm(cfg.d_model, eps=1e-6)
        self.head = nn.Linear(cfg.d_model, cfg.num_outputs)

    def forward(self, x):
        x = self.patch_embed(x)  # (B, 3, H, W) → (B, C, H/p, W/p)
        x = x.flatten(2).transpose(1, 2)  # (B, N, C) with N = (H/p)(W/p)
        cls = self.cls_token.expand(x.shape[0], -1, -1)  # (B, 1, C)
        x = self.drop(torch.cat([cls, x], dim=1) + self.pos)  # (B, N + 1, C)
        x = self.ln_f(self.blocks(x))
        return self.head(x[:, 0])  # class token: (B, C) → (B, outputs)


# ---- builders (registered; not emitted) ----
from .registry import register_arch  # noqa: E402


def _vit_params(patch, d_model, depth, mlp_ratio, in_chans, num_outputs, img_size, **_):
    d, hidden = d_model, mlp_ratio * d_model
    tokens = (img_size // patch) ** 2 + 1
    embed = in_chans * patch * patch * d + d + d + tokens * d  # conv with bias, class token, positions
    block = (2 * 2 * d  # two LayerNorms
             + d * 3 * d + 3 * d + d * d + d  # qkv and output projection, with biases
             + d * hidden + hidden + hidden * d + d)  # MLP
    return embed + depth * block + 2 * d + (d + 1) * num_outputs


@register_arch(family="vit", params=_vit_params,
               inputs=lambda batch, in_chans, img_size, **_: [(batch, in_chans, img_size, img_size)],
               test_sizes=({"patch": 4, "d_model": 32, "depth": 1, "heads": 2, "img_size": 16, "num_outputs": 3},
                           {"patch": 8, "d_model": 64, "depth": 2, "heads": 4, "mlp_ratio": 2, "in_chans": 1,
                            "img_size": 32, "dropout": 0.1}))
def vit(patch=4, d_model=192, depth=6, heads=3, mlp_ratio=4, in_chans=3, num_outputs=10, img_size=32, dropout=0.0):
    """Vision Transformer: patch embedding, class token, pre-norm blocks (Dosovitskiy et al. 2021)."""
    return ViT(ViTConfig(patch, d_model, depth, heads, mlp_ratio, in_chans, num_outputs, img_size, dropout))
