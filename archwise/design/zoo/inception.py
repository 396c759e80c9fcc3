"""A small GoogLeNet-style Inception network (Szegedy et al., 2015, "Going Deeper with Convolutions").

An Inception block runs four branches side by side and concatenates them: a 1×1 conv; a 1×1
reduction then a 3×3 conv; a 1×1 reduction then a 5×5 conv; a 3×3 max pool then a 1×1
projection. Every conv is conv-BN-ReLU (the BN of Inception-v2). Out of a block of width W come
W/4 (1×1) + W/2 (3×3, reduced to W/4 first) + W/8 (5×5, reduced to W/16 first) + W/8 (pool
projection) = W channels. The network is a stem conv, then 3 stages (2 for images under 16 px)
of ``depth`` blocks each, the width doubling from stage to stage with a 3×3 stride-2 max pool
between stages, then a global average pool and a linear head. Small images (≤ 64 px) get a 3×3
stride-1 stem; larger ones GoogLeNet's 7×7 stride-2 conv and max pool.
"""

from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class InceptionConfig:
    width: int = 32  # channels out of the stem and of every block in the first stage (a multiple of 16)
    depth: int = 2  # Inception blocks per stage
    stages: int = 3  # stages; the width doubles and the map halves from one to the next
    in_chans: int = 3  # image channels
    num_outputs: int = 10  # classes (logits) or regression targets
    img_size: int = 32  # ≤ 64: 3×3 stride-1 stem; larger: 7×7 stride-2 conv + max pool


class ConvBNReLU(nn.Sequential):
    def __init__(self, in_c: int, out_c: int, k: int = 1, stride: int = 1):
        super().__init__(nn.Conv2d(in_c, out_c, k, stride, k // 2, bias=False), nn.BatchNorm2d(out_c), nn.ReLU())


class InceptionBlock(nn.Module):
    """Four branches (1×1 | 1×1 → 3×3 | 1×1 → 5×5 | max pool → 1×1), concatenated to ``width`` channels."""

    def __init__(self, in_c: int, width: int):
        super().__init__()
        assert width % 16 == 0, f"an Inception block's width must be a multiple of 16, found {width}"
        self.branch1 = ConvBNReLU(in_c, width // 4)
        self.branch3 = nn.Sequential(ConvBNReLU(in_c, width // 4), ConvBNReLU(width // 4, width // 2, 3))
        self.branch5 = nn.Sequential(ConvBNReLU(in_c, width // 16), ConvBNReLU(width // 16, width // 8, 5))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, 1, 1), ConvBNReLU(in_c, width // 8))

    def forward(self, x):  # (B, in_c, H, W)
        branches = [self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)]
        return torch.cat(branches, 1)  # (B, W/4 + W/2 + W/8 + W/8 = width, H, W)


class Inception(nn.Module):
    def __init__(self, cfg: InceptionConfig):
        super().__init__()
        assert cfg.depth >= 1 and cfg.stages >= 1, "Inception needs at least one stage of one block"
        self.cfg = cfg
        if cfg.img_size <= 64:  # keep the resolution
            self.stem = ConvBNReLU(cfg.in_chans, cfg.width, 3)
            size = cfg.img_size
        else:  # GoogLeNet's stem: /4
            self.stem = nn.Sequential(ConvBNReLU(cfg.in_chans, cfg.width, 7, 2), nn.MaxPool2d(3, 2, 1))
            size = ((cfg.img_size - 1) // 2) // 2 + 1
        layers, in_c = [], cfg.width
        for i in range(cfg.stages):
            if i > 0 and size >= 4:  # halve the map between stages, not below 2×2
                layers.append(nn.MaxPool2d(3, 2, 1))
                size = (size - 1) // 2 + 1
            for _ in range(cfg.depth):
                layers.append(InceptionBlock(in_c, cfg.width * 2**i))
                in_c = cfg.width * 2**i
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(in_c, cfg.num_outputs)

    def forward(self, x):  # (B, in_chans, H, W)
        h = self.body(self.stem(x))  # (B, width·2^(stages-1), H', W')
        return self.head(h.mean((2, 3)))  # (B, C_last) → (B, outputs)


# ---- builders (registered; not emitted) ----
from .registry import register_arch  # noqa: E402


def _image(batch, in_chans, img_size, **_):
    return [(batch, in_chans, img_size, img_size)]


def _stages(img_size):
    return 3 if img_size >= 16 else 2


def _conv_bn(in_c, out_c, k=1):
    return k * k * in_c * out_c + 2 * out_c


def _inception_params(width, depth, in_chans, num_outputs, img_size, **_):
    total = _conv_bn(in_chans, width, 3 if img_size <= 64 else 7)
    in_c = width
    for i in range(_stages(img_size)):
        w = width * 2**i
        for _ in range(depth):
            total += _conv_bn(in_c, w // 4)  # 1×1
            total += _conv_bn(in_c, w // 4) + _conv_bn(w // 4, w // 2, 3)  # 1×1 → 3×3
            total += _conv_bn(in_c, w // 16) + _conv_bn(w // 16, w // 8, 5)  # 1×1 → 5×5
            total += _conv_bn(in_c, w // 8)  # pool → 1×1
            in_c = w
    return total + (in_c + 1) * num_outputs


@register_arch(family="cnn", params=_inception_params, inputs=_image,
               test_sizes=({"width": 16, "depth": 1, "img_size": 12, "num_outputs": 3},
                           {"width": 32, "depth": 2, "img_size": 72}))
def inception(width=32, depth=2, in_chans=3, num_outputs=10, img_size=32):
    """GoogLeNet-style Inception net (Szegedy et al. 2015): four-branch blocks, widths doubling per stage."""
    if width % 16:
        raise ValueError(f"inception's width must be a multiple of 16 (the 5×5 reduction gets width/16), "
                         f"found {width}")
    return Inception(InceptionConfig(width, depth, _stages(img_size), in_chans, num_outputs, img_size))
