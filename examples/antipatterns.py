"""The seed's anti-patterns and their fixes as models, for ``archwise check``.

    archwise check examples/antipatterns.py:PlainDeepCNN --input 2x3x32x32 --modality image
    archwise check examples/antipatterns.py:MLPOnImages --input 2x3x32x32 --modality image --samples 50000

Each "Wrong" model is what the seed's section shows; each has a "Right" counterpart.
"""

from __future__ import annotations

import torch
from torch import nn


class PlainDeepCNN(nn.Module):
    """Anti-pattern 2, "More layers = better": 100 plain 3×3 convolutions, no skip connections."""

    def __init__(self, depth: int = 100, width: int = 64, num_classes: int = 10) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, width, 3, padding=1), nn.ReLU()]
        for _ in range(depth - 1):
            layers += [nn.Conv2d(width, width, 3, padding=1), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, num_classes)


class VeryDeepNarrow(PlainDeepCNN):
    """Anti-pattern 3, "Deeper + narrower = efficient": 100 layers × 8 channels."""

    def __init__(self, num_layers: int = 100, channels: int = 8, num_classes: int = 10) -> None:
        super().__init__(num_layers, channels, num_classes)


class MLPOnImages(nn.Module):
    """Anti-pattern 5, "Hyperparameters will fix architectural problems": an MLP on images."""

    def __init__(self, in_features: int = 3 * 32 * 32, hidden: int = 512, num_classes: int = 10) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, 3, H, W) → (B, 3·H·W) → (B, num_classes)


class SmallResNet(nn.Module):
    """The fix: a small ResNet (stem, three stages of residual basic blocks widening 16 → 32 → 64)."""

    def __init__(self, width: int = 16, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        blocks, cin = [], width
        for i, cout in enumerate((width, 2 * width, 4 * width)):
            blocks += [_Block(cin, cout, stride=1 if i == 0 else 2), _Block(cout, cout)]
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.f = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                               nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = (nn.Identity() if stride == 1 and cin == cout else
                         nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.f(x) + self.shortcut(x))  # out = F(x) + x


class SoftmaxClassifier(nn.Module):
    """A classifier that ends in a softmax, fed to cross-entropy (which expects logits)."""

    def __init__(self, features: int = 64, num_classes: int = 10) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, 128), nn.ReLU(), nn.Linear(128, num_classes), nn.Softmax(dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
