"""Small example models, one per family the seed discusses, to profile and copy from.

Each takes its sizes as arguments, so ``archwise profile examples/models.py:PlainCNN --kwargs
'{"depth": 50}'`` profiles another size without editing the file.

    PlainCNN      a stack of 3×3 convolutions with no skip connections (the seed's anti-pattern
                  past 10 layers)
    ResNet        basic residual blocks (He et al., 2016), stages that halve space and double width
    DenseNet      one dense block: every layer sees the concatenation of all before it
                  (Huang et al., 2017)
    HighwayMLP    highway layers, y = T(x)·H(x) + (1 − T(x))·x (Srivastava et al., 2015)
    LSTMClassifier, GCN, TinyTransformer   the sequence, graph and attention families
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class PlainCNN(nn.Module):
    """``depth - 1`` 3×3 convolutions (padding 1, ReLU) then global pooling and a linear head."""

    def __init__(self, depth: int = 20, width: int = 32, in_channels: int = 3, num_classes: int = 10) -> None:
        super().__init__()
        assert depth >= 2, f"depth counts the head too, so it must be at least 2, got {depth}"
        layers: list[nn.Module] = []
        for i in range(depth - 1):
            layers += [nn.Conv2d(in_channels if i == 0 else width, width, 3, padding=1), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (B, width, H, W)
        return self.head(x.mean(dim=(2, 3)))  # (B, num_classes)


class BasicBlock(nn.Module):
    """conv3×3-BN-ReLU-conv3×3-BN plus the input (a 1×1 projection when the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))  # (B, cout, H / stride, W / stride)


class ResNet(nn.Module):
    """A CIFAR-style ResNet: a 3×3 stem, ``len(blocks)`` stages of basic blocks, a linear head."""

    def __init__(self, blocks: tuple[int, ...] = (2, 2, 2), width: int = 16, in_channels: int = 3,
                 num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        stages, cin = [], width
        for i, n in enumerate(blocks):
            cout = width * 2**i
            stages += [BasicBlock(cin if j == 0 else cout, cout, 2 if (i > 0 and j == 0) else 1) for j in range(n)]
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.head = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))  # (B, C_last, H / 2^(stages-1), W / 2^(stages-1))
        return self.head(x.mean(dim=(2, 3)))


class DenseNet(nn.Module):
    """One dense block of ``layers`` BN-ReLU-conv3×3 layers, each adding ``growth`` channels."""

    def __init__(self, layers: int = 4, growth: int = 12, in_channels: int = 3, stem: int = 16,
                 num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Conv2d(in_channels, stem, 3, padding=1)
        self.block = nn.ModuleList(
            nn.Sequential(nn.BatchNorm2d(stem + i * growth), nn.ReLU(), nn.Conv2d(stem + i * growth, growth, 3, padding=1))
            for i in range(layers)
        )
        self.head = nn.Linear(stem + layers * growth, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [self.stem(x)]  # [(B, stem, H, W)]
        for layer in self.block:
            features.append(layer(torch.cat(features, dim=1)))  # each (B, growth, H, W)
        x = torch.cat(features, dim=1)  # (B, stem + layers·growth, H, W)
        return self.head(x.mean(dim=(2, 3)))


class Highway(nn.Module):
    """y = T(x)·H(x) + (1 − T(x))·x with T = sigmoid(W_T x + b_T), H = relu(W_H x + b_H)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.transform = nn.Linear(width, width)
        self.gate = nn.Linear(width, width)
        nn.init.constant_(self.gate.bias, -2.0)  # start by carrying the input, as the paper does

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = torch.sigmoid(self.gate(x))
        return t * F.relu(self.transform(x)) + (1 - t) * x


class HighwayMLP(nn.Module):
    def __init__(self, in_features: int = 64, width: int = 128, depth: int = 4, num_classes: int = 10) -> None:
        super().__init__()
        self.inp = nn.Linear(in_features, width)
        self.layers = nn.Sequential(*[Highway(width) for _ in range(depth)])
        self.head = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(F.relu(self.inp(x))))  # (B, num_classes)


class LSTMClassifier(nn.Module):
    """An LSTM over (B, T, F) sequences; the last hidden state feeds a linear head."""

    def __init__(self, in_features: int = 8, hidden: int = 64, layers: int = 2, num_classes: int = 5) -> None:
        super().__init__()
        self.lstm = nn.LSTM(in_features, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x)  # h: (layers, B, hidden)
        return self.head(h[-1])


class TinyTransformer(nn.Module):
    """A pre-norm Transformer encoder over token ids, mean-pooled into a classifier."""

    def __init__(self, vocab: int = 1000, dim: int = 64, heads: int = 4, layers: int = 2, num_classes: int = 2) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.encoder(self.embed(tokens))  # (B, T, dim)
        return self.head(x.mean(dim=1))


class GCN(nn.Module):
    """Two graph convolutions (Kipf & Welling, 2017) over node features and an edge index."""

    def __init__(self, in_features: int = 16, hidden: int = 32, num_classes: int = 7) -> None:
        super().__init__()
        from torch_geometric.nn import GCNConv

        self.conv1 = GCNConv(in_features, hidden)
        self.conv2 = GCNConv(hidden, num_classes)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x, edge_index))  # (N, hidden)
        return self.conv2(x, edge_index)  # (N, num_classes)
