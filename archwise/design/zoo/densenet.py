"""DenseNet-BC (Huang et al., 2017, "Densely Connected Convolutional Networks").

Inside a dense block every layer sees the concatenation of all earlier feature maps and adds
``growth`` new channels: BN-ReLU-1×1 conv (bottleneck to bn_size·growth) → BN-ReLU-3×3 conv
(growth). Between blocks a transition compresses the channels (BN-ReLU-1×1 conv to
⌊compression·C⌋) and halves the map with a 2×2 average pool. The head is BN-ReLU, a global
average pool and a linear layer. Small images (≤ 64 px) get a 3×3 stride-1 stem (the paper's
CIFAR network); larger ones the ImageNet stem, a 7×7 stride-2 conv and a max pool. With
growth 32, blocks (6, 12, 24, 16) and 64 initial features this is DenseNet-121.
"""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class DenseNetConfig:
    growth: int = 12  # channels each dense layer adds (k in the paper)
    block_config: tuple = (6, 12, 24, 16)  # dense layers per dense block
    bn_size: int = 4  # bottleneck width of a dense layer, in multiples of growth
    init_features: int = 24  # channels out of the stem
    compression: float = 0.5  # channels kept by each transition (θ in the paper)
    in_chans: int = 3  # image channels
    num_outputs: int = 10  # classes (logits) or regression targets
    img_size: int = 32  # ≤ 64: CIFAR stem (3×3 stride 1); larger: ImageNet stem (7×7 stride 2 + max pool)


class DenseLayer(nn.Module):
    """BN-ReLU-1×1 conv → BN-ReLU-3×3 conv; the ``growth`` new channels are appended to the input."""

    def __init__(self, in_c: int, growth: int, bn_size: int):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_c)
        self.conv1 = nn.Conv2d(in_c, bn_size * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, 1, 1, bias=False)

    def forward(self, x):  # (B, C, H, W)
        h = self.conv1(F.relu(self.norm1(x)))  # (B, bn_size·growth, H, W)
        h = self.conv2(F.relu(self.norm2(h)))  # (B, growth, H, W)
        return torch.cat([x, h], 1)  # (B, C + growth, H, W)


class Transition(nn.Module):
    """BN-ReLU-1×1 conv (compress the channels) → 2×2 average pool (skipped once the map is small)."""

    def __init__(self, in_c: int, out_c: int, pool: bool):
        super().__init__()
        self.norm = nn.BatchNorm2d(in_c)
        self.conv = nn.Conv2d(in_c, out_c, 1, bias=False)
        self.pool = nn.AvgPool2d(2) if pool else nn.Identity()

    def forward(self, x):  # (B, C, H, W)
        return self.pool(self.conv(F.relu(self.norm(x))))  # (B, ⌊θ·C⌋, H/2, W/2)


class DenseNet(nn.Module):
    def __init__(self, cfg: DenseNetConfig):
        super().__init__()
        assert len(cfg.block_config) >= 1 and min(cfg.block_config) >= 1, "every dense block needs ≥ 1 layer"
        assert 0 < cfg.compression <= 1, "compression must lie in (0, 1]"
        self.cfg = cfg
        c = cfg.init_features
        if cfg.img_size <= 64:  # CIFAR stem: keep the resolution
            stem = [nn.Conv2d(cfg.in_chans, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
            size = cfg.img_size
        else:  # ImageNet stem: /4
            stem = [nn.Conv2d(cfg.in_chans, c, 7, 2, 3, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                    nn.MaxPool2d(3, 2, 1)]
            size = ((cfg.img_size - 1) // 2) // 2 + 1
        self.stem = nn.Sequential(*stem)
        body = []
        for i, n in enumerate(cfg.block_config):
            for _ in range(n):
                body.append(DenseLayer(c, cfg.growth, cfg.bn_size))
                c += cfg.growth
            if i < len(cfg.block_config) - 1:
                out = int(c * cfg.compression)
                body.append(Transition(c, out, pool=size >= 4))  # stop halving once the map is small
                size = size // 2 if size >= 4 else size
                c = out
        self.body = nn.Sequential(*body)
        self.norm = nn.BatchNorm2d(c)
        self.head = nn.Linear(c, cfg.num_outputs)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x):  # (B, in_chans, H, W)
        h = self.body(self.stem(x))  # (B, C_last, H', W')
        h = F.relu(self.norm(h)).mean((2, 3))  # (B, C_last)
        return self.head(h)  # (B, outputs)


# ---- builders (registered; not emitted) ----
from .registry import register_arch  # noqa: E402


def _image(batch, in_chans, img_size, **_):
    return [(batch, in_chans, img_size, img_size)]


def _densenet_params(growth, block_config, bn_size, init_features, compression, in_chans, num_outputs, img_size, **_):
    c = init_features if init_features is not None else 2 * growth
    k = 3 if img_size <= 64 else 7
    total = k * k * in_chans * c + 2 * c  # stem conv + BN
    inner = bn_size * growth
    for i, n in enumerate(block_config):
        for _ in range(n):  # BN(c), 1×1 c → inner, BN(inner), 3×3 inner → growth
            total += 2 * c + c * inner + 2 * inner + 9 * inner * growth
            c += growth
        if i < len(block_config) - 1:  # transition: BN(c), 1×1 c → ⌊θ·c⌋
            out = int(c * compression)
            total += 2 * c + c * out
            c = out
    return total + 2 * c + (c + 1) * num_outputs  # final BN + linear head


@register_arch(family="cnn", params=_densenet_params, inputs=_image,
               test_sizes=({"growth": 4, "block_config": [2, 2], "img_size": 16, "num_outputs": 3},
                           {"growth": 6, "block_config": [2, 3, 2], "bn_size": 2, "img_size": 72}))
def densenet(growth=12, block_config=[6, 12, 24, 16], bn_size=4, init_features=None, compression=0.5, in_chans=3,
             num_outputs=10, img_size=32):
    """DenseNet-BC (Huang et al. 2017): dense blocks of concatenated bottleneck layers, compressing transitions."""
    init = init_features if init_features is not None else 2 * growth
    return DenseNet(DenseNetConfig(growth, tuple(block_config), bn_size, init, compression, in_chans, num_outputs,
                                   img_size))
