"""Efficient CNNs built from inverted residuals: MobileNetV2 and EfficientNet.

- MobileNetV2 (Sandler et al., 2018, "MobileNetV2: Inverted Residuals and Linear Bottlenecks"):
  blocks 1×1 expand (×t) → BN → ReLU6 → 3×3 depthwise → BN → ReLU6 → 1×1 linear projection → BN,
  with a residual where the stride is 1 and the channels match; the paper's (t, c, n, s) table,
  a 32-channel stem and a 1280-channel 1×1 head conv. ``width_mult`` scales the channels (rounded
  to multiples of 8 as torchvision does), ``depth_mult`` the repeats.
- EfficientNet (Tan & Le, 2019, "EfficientNet: Rethinking Model Scaling for CNNs"): MBConv blocks
  (the same inverted residual with a k×k depthwise conv, squeeze-and-excitation and SiLU) in the
  B0 table. Compound scaling by ``phi``: width × 1.1**phi and depth × 1.2**phi (the paper's β
  and α). The paper's third factor, resolution γ**phi, is not applied: the input size here is
  set by the data. No stochastic depth, so the forward is deterministic.

Small images (≤ 64 px) get a stride-1 stem and a stride-1 second stage (a CIFAR adaptation), and
no stage halves a map already below 4 px, so the last map stays ≥ 2×2.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

# MobileNetV2: (expansion t, channels c, repeats n, stride s) per stage
MOBILENETV2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                      (6, 320, 1, 1))
# EfficientNet-B0: (expansion, kernel, stride, channels, repeats) per stage
EFFICIENTNET_B0_STAGES = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
                          (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))


def _make_divisible(v: float, divisor: int = 8) -> int:
    """Round v to the nearest multiple of divisor, never below divisor nor 10% below v (torchvision's rule)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _halve(stride: int, size: int) -> tuple:
    """The stride actually used (no halving below 4 px) and the map size after it."""
    stride = stride if size >= 4 else 1
    return stride, (size - 1) // stride + 1


@dataclass
class MobileNetV2Config:
    width_mult: float = 1.0  # channel multiplier (channels rounded to multiples of 8)
    depth_mult: float = 1.0  # repeat multiplier (repeats rounded up)
    in_chans: int = 3  # image channels
    num_outputs: int = 10  # classes (logits) or regression targets
    img_size: int = 32  # ≤ 64: stride-1 stem and second stage (CIFAR adaptation)
    dropout: float = 0.2  # before the linear head
    last_channel: int = 0  # channels of the 1×1 head conv; 0: 1280 (× width_mult when > 1), as torchvision


@dataclass
class EfficientNetConfig:
    width_mult: float = 1.0  # channel multiplier (1.1**phi under compound scaling)
    depth_mult: float = 1.0  # repeat multiplier (1.2**phi under compound scaling)
    in_chans: int = 3  # image channels
    num_outputs: int = 10  # classes (logits) or regression targets
    img_size: int = 32  # ≤ 64: stride-1 stem and second stage (CIFAR adaptation)
    dropout: float = 0.2  # before the linear head
    se_ratio: float = 0.25  # squeeze channels = block input channels × se_ratio; 0 = no SE


class ConvBNAct(nn.Sequential):
    """k×k conv (no bias) → BN → activation (none when act is None)."""

    def __init__(self, in_c: int, out_c: int, k: int = 3, stride: int = 1, groups: int = 1, act=nn.ReLU6):
        layers = [nn.Conv2d(in_c, out_c, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(out_c)]
        super().__init__(*layers, *([act()] if act is not None else []))


class SqueezeExcite(nn.Module):
    """Channel gate: global avg pool → 1×1 conv (C → S) → SiLU → 1×1 conv (S → C) → sigmoid → scale."""

    def __init__(self, channels: int, squeeze: int):
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeeze, 1)
        self.expand = nn.Conv2d(squeeze, channels, 1)
        self.act = nn.SiLU()

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)  # (B, C, 1, 1)
        return x * torch.sigmoid(self.expand(self.act(self.reduce(s))))  # (B, C, H, W)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: [1×1 expand ×t] → 3×3 depthwise → 1×1 linear projection; residual if shapes match."""

    def __init__(self, in_c: int, out_c: int, stride: int, expand: int):
        super().__init__()
        hidden = int(round(in_c * expand))
        layers = [ConvBNAct(in_c, hidden, 1)] if expand != 1 else []
        layers += [ConvBNAct(hidden, hidden, 3, stride, groups=hidden), ConvBNAct(hidden, out_c, 1, act=None)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and in_c == out_c

    def forward(self, x):  # (B, in_c, H, W)
        h = self.block(x)  # (B, out_c, H/s, W/s)
        return x + h if self.residual else h


class MBConv(nn.Module):
    """EfficientNet block: [1×1 expand] → k×k depthwise → SE → 1×1 linear projection; residual if shapes match."""

    def __init__(self, in_c: int, out_c: int, k: int, stride: int, expand: int, se_ratio: float):
        super().__init__()
        hidden = _make_divisible(in_c * expand)
        layers = [ConvBNAct(in_c, hidden, 1, act=nn.SiLU)] if hidden != in_c else []
        layers.append(ConvBNAct(hidden, hidden, k, stride, groups=hidden, act=nn.SiLU))
        if se_ratio > 0:
            layers.append(SqueezeExcite(hidden, max(1, int(in_c * se_ratio))))
        layers.append(ConvBNAct(hidden, out_c, 1, act=None))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and in_c == out_c

    def forward(self, x):  # (B, in_c, H, W)
        h = self.block(x)  # (B, out_c, H/s, W/s)
        return x + h if self.residual else h


class MobileNetV2(nn.Module):
    def __init__(self, cfg: MobileNetV2Config):
        super().__init__()
        self.cfg = cfg
        small = cfg.img_size <= 64
        c = _make_divisible(32 * cfg.width_mult)
        stride, size = _halve(1 if small else 2, cfg.img_size)
        layers = [ConvBNAct(cfg.in_chans, c, 3, stride)]
        for i, (t, ch, n, s) in enumerate(MOBILENETV2_STAGES):
            out = _make_divisible(ch * cfg.width_mult)
            stride, size = _halve(1 if small and i == 1 else s, size)
            for j in range(math.ceil(n * cfg.depth_mult)):
                layers.append(InvertedResidual(c, out, stride if j == 0 else 1, t))
                c = out
        last = cfg.last_channel or _make_divisible(1280 * max(1.0, cfg.width_mult))
        layers.append(ConvBNAct(c, last, 1))
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(last, cfg.num_outputs))

    def forward(self, x):  # (B, in_chans, H, W)
        h = self.features(x)  # (B, last, H', W')
        return self.head(h.mean((2, 3)))  # (B, last) → (B, outputs)


class EfficientNet(nn.Module):
    def __init__(self, cfg: EfficientNetConfig):
        super().__init__()
        self.cfg = cfg
        small = cfg.img_size <= 64
        c = _make_divisible(32 * cfg.width_mult)
        stride, size = _halve(1 if small else 2, cfg.img_size)
        layers = [ConvBNAct(cfg.in_chans, c, 3, stride, act=nn.SiLU)]
        for i, (e, k, s, ch, n) in enumerate(EFFICIENTNET_B0_STAGES):
            out = _make_divisible(ch * cfg.width_mult)
            stride, size = _halve(1 if small and i == 1 else s, size)
            for j in range(math.ceil(n * cfg.depth_mult)):
                layers.append(MBConv(c, out, k, stride if j == 0 else 1, e, cfg.se_ratio))
                c = out
        layers.append(ConvBNAct(c, 4 * c, 1, act=nn.SiLU))  # head conv: 4 × the last block's channels
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(4 * c, cfg.num_outputs))

    def forward(self, x):  # (B, in_chans, H, W)
        h = self.features(x)  # (B, 4·C_last, H', W')
        return self.head(h.mean((2, 3)))  # (B, 4·C_last) → (B, outputs)


# ---- builders (registered; not emitted) ----
from .registry import register_arch  # noqa: E402


def _image(batch, in_chans, img_size, **_):
    return [(batch, in_chans, img_size, img_size)]


def _conv_bn(in_c, out_c, k=1, groups=1):
    return k * k * in_c // groups * out_c + 2 * out_c


def _mobilenetv2_params(width_mult, depth_mult, in_chans, num_outputs, last_channel, **_):
    c = _make_divisible(32 * width_mult)
    total = _conv_bn(in_chans, c, 3)
    for t, ch, n, _s in MOBILENETV2_STAGES:
        out = _make_divisible(ch * width_mult)
        for _ in range(math.ceil(n * depth_mult)):
            hidden = int(round(c * t))
            total += _conv_bn(c, hidden) if t != 1 else 0  # expand
            total += _conv_bn(hidden, hidden, 3, hidden) + _conv_bn(hidden, out)  # depthwise, project
            c = out
    last = last_channel or _make_divisible(1280 * max(1.0, width_mult))
    return total + _conv_bn(c, last) + (last + 1) * num_outputs


@register_arch(family="efficient_cnn", params=_mobilenetv2_params, inputs=_image,
               test_sizes=({"width_mult": 0.25, "depth_mult": 0.3, "img_size": 16, "num_outputs": 3},
                           {"width_mult": 0.5, "depth_mult": 0.5, "img_size": 32, "last_channel": 256}))
def mobilenetv2(width_mult=1.0, depth_mult=1.0, in_chans=3, num_outputs=10, img_size=32, dropout=0.2, last_channel=0):
    """MobileNetV2 (Sandler et al. 2018): inverted residuals with linear bottlenecks, ReLU6."""
    return MobileNetV2(MobileNetV2Config(width_mult, depth_mult, in_chans, num_outputs, img_size, dropout,
                                         last_channel))


def _scaling(phi, width_mult, depth_mult):
    width = width_mult if width_mult is not None else 1.1**phi
    depth = depth_mult if depth_mult is not None else 1.2**phi
    return float(width), float(depth)


def _efficientnet_params(phi, width_mult, depth_mult, in_chans, num_outputs, se_ratio, **_):
    width, depth = _scaling(phi, width_mult, depth_mult)
    c = _make_divisible(32 * width)
    total = _conv_bn(in_chans, c, 3)
    for e, k, _s, ch, n in EFFICIENTNET_B0_STAGES:
        out = _make_divisible(ch * width)
        for _ in range(math.ceil(n * depth)):
            hidden = _make_divisible(c * e)
            total += (_conv_bn(c, hidden) if hidden != c else 0) + _conv_bn(hidden, hidden, k, hidden)
            if se_ratio > 0:
                sq = max(1, int(c * se_ratio))
                total += hidden * sq + sq + sq * hidden + hidden
            total += _conv_bn(hidden, out)
            c = out
    return total + _conv_bn(c, 4 * c) + (4 * c + 1) * num_outputs


@register_arch(family="efficient_cnn", params=_efficientnet_params, inputs=_image,
               test_sizes=({"width_mult": 0.25, "depth_mult": 0.3, "img_size": 16, "num_outputs": 3},
                           {"phi": -3.0, "img_size": 32}))
def efficientnet(phi=0.0, width_mult=None, depth_mult=None, in_chans=3, num_outputs=10, img_size=32, dropout=0.2,
                 se_ratio=0.25):
    """EfficientNet (Tan & Le 2019): MBConv + squeeze-excitation, SiLU, compound-scaled by phi."""
    width, depth = _scaling(phi, width_mult, depth_mult)
    return EfficientNet(EfficientNetConfig(width, depth, in_chans, num_outputs, img_size, dropout, se_ratio))
