"""Residual networks: ResNet and SE-ResNet.

- ResNet (He et al., 2016, "Deep Residual Learning for Image Recognition"): stages of residual
  blocks y = ReLU(F(x) + shortcut(x)), channels doubling and the map halving from stage to stage.
  A "basic" block is two 3×3 convs; a "bottleneck" block is 1×1 (reduce) → 3×3 → 1×1 (expand ×4).
  Small images (≤ 64 px) get the paper's CIFAR layout: a 3×3 stride-1 stem, 3 stages,
  depth = 6n+2 (basic) or 9n+2 (bottleneck). Larger images get the ImageNet layout: a 7×7
  stride-2 stem and a max pool, 4 stages, and the paper's block counts for depths 18/34/50/101/152.
  The shortcut is the identity, or a 1×1 conv + BN (projection) where the shape changes; the
  stride sits on the 3×3 conv (torchvision's "v1.5").
- SE-ResNet (Hu et al., 2018, "Squeeze-and-Excitation Networks"): the same network with a
  squeeze-and-excitation gate on every residual branch before the addition.
"""

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

# the paper's ImageNet block counts per stage, by (block, depth), used when there are 4 stages
IMAGENET_LAYOUTS = {("basic", 18): (2, 2, 2, 2), ("basic", 34): (3, 4, 6, 3), ("bottleneck", 50): (3, 4, 6, 3),
                    ("bottleneck", 101): (3, 4, 23, 3), ("bottleneck", 152): (3, 8, 36, 3)}


def resnet_layout(depth: int, block: str, stages: int) -> tuple:
    """Residual blocks per stage for a ResNet of ``depth`` weighted layers (convs on the main path + the head)."""
    if block not in ("basic", "bottleneck"):
        raise ValueError(f"block must be 'basic' or 'bottleneck', found {block!r}")
    if stages < 1:
        raise ValueError(f"a ResNet needs at least one stage, found stages={stages}")
    if stages == 4 and (block, depth) in IMAGENET_LAYOUTS:
        return IMAGENET_LAYOUTS[(block, depth)]
    per_block = 2 if block == "basic" else 3
    if depth < 2 + per_block * stages or (depth - 2) % (per_block * stages):
        raise ValueError(f"a {block} ResNet with {stages} stages needs depth = {per_block * stages}n+2 "
                         f"(n ≥ 1 blocks per stage), i.e. "
                         f"(depth - 2) % {per_block * stages} == 0; found depth={depth}")
    return ((depth - 2) // (per_block * stages),) * stages


@dataclass
class ResNetConfig:
    depth: int = 20  # weighted layers: the convs on the main path plus the head
    width: int = 16  # channels of the first stage (the bottleneck's inner width); each later stage doubles them
    block: str = "basic"  # "basic" (two 3×3 convs) or "bottleneck" (1×1 → 3×3 → 1×1, expansion 4)
    stages: int = 3  # stages of residual blocks; stride 2 from the second on
    in_chans: int = 3  # image channels
    num_outputs: int = 10  # classes (logits) or regression targets
    img_size: int = 32  # ≤ 64: CIFAR stem (3×3 stride 1); larger: ImageNet stem (7×7 stride 2 + max pool)
    se_ratio: float = 0.0  # squeeze-and-excitation: squeeze channels = out channels × se_ratio; 0 = off


class SqueezeExcite(nn.Module):
    """Channel gate: global avg pool → FC(C → S) → ReLU → FC(S → C) → sigmoid → scale (FCs as 1×1 convs)."""

    def __init__(self, channels: int, squeeze: int):
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeeze, 1)
        self.expand = nn.Conv2d(squeeze, channels, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)  # (B, C, 1, 1)
        s = self.expand(F.relu(self.reduce(s)))  # (B, C, 1, 1)
        return x * torch.sigmoid(s)  # (B, C, H, W)


def _shortcut(in_c: int, out_c: int, stride: int) -> nn.Module:
    if stride == 1 and in_c == out_c:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(in_c, out_c, 1, stride, bias=False), nn.BatchNorm2d(out_c))  # projection


def _se(out_c: int, se_ratio: float) -> nn.Module:
    return SqueezeExcite(out_c, max(1, int(out_c * se_ratio))) if se_ratio > 0 else nn.Identity()


class BasicBlock(nn.Module):
    """3×3 conv-BN-ReLU → 3×3 conv-BN (→ SE), plus the shortcut, then ReLU."""

    expansion = 1

    def __init__(self, in_c: int, planes: int, stride: int, se_ratio: float):
        super().__init__()
        self.conv1 = nn.Conv2d(in_c, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.se = _se(planes, se_ratio)
        self.shortcut = _shortcut(in_c, planes, stride)

    def forward(self, x):  # (B, in_c, H, W)
        h = F.relu(self.bn1(self.conv1(x)))  # (B, planes, H/s, W/s)
        h = self.se(self.bn2(self.conv2(h)))
        return F.relu(h + self.shortcut(x))  # (B, planes, H/s, W/s)


class Bottleneck(nn.Module):
    """1×1 conv-BN-ReLU (reduce) → 3×3 conv-BN-ReLU → 1×1 conv-BN (×4) (→ SE), plus the shortcut, then ReLU."""

    expansion = 4

    def __init__(self, in_c: int, planes: int, stride: int, se_ratio: float):
        super().__init__()
        out_c = planes * self.expansion
        self.conv1 = nn.Conv2d(in_c, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out_c, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_c)
        self.se = _se(out_c, se_ratio)
        self.shortcut = _shortcut(in_c, out_c, stride)

    def forward(self, x):  # (B, in_c, H, W)
        h = F.relu(self.bn1(self.conv1(x)))  # (B, planes, H, W)
        h = F.relu(self.bn2(self.conv2(h)))  # (B, planes, H/s, W/s)
        h = self.se(self.bn3(self.conv3(h)))  # (B, 4·planes, H/s, W/s)
        return F.relu(h + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, cfg: ResNetConfig):
        super().__init__()
        self.cfg = cfg
        layout = resnet_layout(cfg.depth, cfg.block, cfg.stages)
        Block = BasicBlock if cfg.block == "basic" else Bottleneck
        if cfg.img_size <= 64:  # CIFAR stem: keep the resolution
            self.stem = nn.Sequential(nn.Conv2d(cfg.in_chans, cfg.width, 3, 1, 1, bias=False),
                                      nn.BatchNorm2d(cfg.width), nn.ReLU())
            size = cfg.img_size
        else:  # ImageNet stem: /4
            self.stem = nn.Sequential(nn.Conv2d(cfg.in_chans, cfg.width, 7, 2, 3, bias=False),
                                      nn.BatchNorm2d(cfg.width), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
            size = ((cfg.img_size - 1) // 2) // 2 + 1
        blocks, in_c = [], cfg.width
        for i, n in enumerate(layout):
            planes = cfg.width * 2**i
            stride = 2 if i > 0 and size >= 4 else 1  # stop halving once the map is small
            size = (size - 1) // stride + 1
            for j in range(n):
                blocks.append(Block(in_c, planes, stride if j == 0 else 1, cfg.se_ratio))
                in_c = planes * Block.expansion
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(in_c, cfg.num_outputs)
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and m.bias is None:
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):  # (B, in_chans, H, W)
        h = self.blocks(self.stem(x))  # (B, C_last, H', W')
        return self.head(h.mean((2, 3)))  # (B, C_last) → (B, outputs)


# ---- builders (registered; not emitted) ----
from .registry import register_arch  # noqa: E402


def _image(batch, in_chans, img_size, **_):
    return [(batch, in_chans, img_size, img_size)]


def _resolve(depth, width, block, stages, img_size):
    """Fill the unset sizes: a depth from the paper's ImageNet table (18, 34, 50, 101, 152) gets its
    4-stage layout, width 64 and, from 50 up, bottleneck blocks, at any image size (a 3×3 stem at
    ≤ 64 px: the usual CIFAR ResNet-18); other depths get the CIFAR layout (3 stages, width 16) for
    images ≤ 64 px and 4 stages above."""
    paper = depth in (18, 34, 50, 101, 152)
    block = block or ("bottleneck" if paper and depth >= 50 else "basic")
    if stages is None:
        stages = 4 if (paper and (block, depth) in IMAGENET_LAYOUTS) or img_size > 64 else 3
    if width is None:
        width = 64 if paper and stages == 4 else 16
    return width, block, stages


def _resnet_params(depth, width, block, stages, in_chans, num_outputs, img_size, se_ratio=0.0, **_):
    width, block, stages = _resolve(depth, width, block, stages, img_size)
    k = 3 if img_size <= 64 else 7
    total = k * k * in_chans * width + 2 * width  # stem conv + BN
    expansion = 1 if block == "basic" else 4
    in_c = width
    for i, n in enumerate(resnet_layout(depth, block, stages)):
        p = width * 2**i
        out = p * expansion
        for _ in range(n):
            if block == "basic":
                total += 9 * in_c * p + 2 * p + 9 * p * p + 2 * p
            else:
                total += in_c * p + 2 * p + 9 * p * p + 2 * p + p * out + 2 * out
            if in_c != out:  # projection shortcut (the stride only changes where the channels do)
                total += in_c * out + 2 * out
            if se_ratio > 0:
                s = max(1, int(out * se_ratio))
                total += out * s + s + s * out + out
            in_c = out
    return total + (in_c + 1) * num_outputs


@register_arch(family="cnn", params=_resnet_params, inputs=_image,
               test_sizes=({"depth": 8, "width": 8, "img_size": 16, "num_outputs": 3},
                           {"depth": 11, "width": 8, "block": "bottleneck", "img_size": 32}))
def resnet(depth=20, width=None, block=None, stages=None, in_chans=3, num_outputs=10, img_size=32):
    """ResNet (He et al. 2016): residual blocks in stages; depth 18/34/50/101/152 the ImageNet layouts, else CIFAR's."""
    width, block, stages = _resolve(depth, width, block, stages, img_size)
    return ResNet(ResNetConfig(depth, width, block, stages, in_chans, num_outputs, img_size))


@register_arch(family="cnn", params=_resnet_params, inputs=_image,
               test_sizes=({"depth": 8, "width": 8, "img_size": 16, "num_outputs": 3},
                           {"depth": 10, "width": 8, "stages": 4, "img_size": 72, "se_ratio": 0.5}))
def se_resnet(depth=20, width=None, block=None, stages=None, in_chans=3, num_outputs=10, img_size=32,
              se_ratio=0.25):
    """SE-ResNet (Hu et al. 2018): a ResNet with squeeze-and-excitation on every residual branch."""
    width, block, stages = _resolve(depth, width, block, stages, img_size)
    return ResNet(ResNetConfig(depth, width, block, stages, in_chans, num_outputs, img_size, se_ratio))
