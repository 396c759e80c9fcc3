"""One model that violates each rule and one that passes it, and the seed's anti-pattern examples
("Wrong" and "Right") as models.

A case is a model factory, its inputs, the problem spec and the check's extra arguments. The
"passes" cases are near misses where that makes the test sharper: the same model with the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from archwise import ProblemSpec as P


@dataclass
class Case:
    build: Callable[[], nn.Module]
    inputs: list[Any]
    spec: P | None
    extra: dict[str, Any] = field(default_factory=dict)  # baseline_score, score, …


def hf(name: str, **config: Any) -> nn.Module:
    import transformers

    transformers.logging.set_verbosity_error()
    cls = getattr(transformers, name)
    with torch.device("meta"):
        return cls(cls.config_class(**config))


# --- the seed's own models ------------------------------------------------------------------
def resnet18() -> nn.Module:
    return hf("ResNetForImageClassification", layer_type="basic", depths=[2, 2, 2, 2],
              hidden_sizes=[64, 128, 256, 512], num_labels=10)


def resnet50() -> nn.Module:
    return hf("ResNetForImageClassification", num_labels=1000)


def plain_conv_stack(layers: int, channels: int) -> nn.Module:
    """The seed's Anti-pattern 2/3: ``for i in range(100): layers.append(nn.Conv2d(64, 64, 3, padding=1))``."""
    stack: list[nn.Module] = [nn.Conv2d(3, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU()]
    for _ in range(layers - 1):
        stack += [nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU()]
    return nn.Sequential(*stack, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 10))


class HugeTransformer(nn.Module):
    """The seed's Anti-pattern 1: a Transformer for 20 tabular features (about 10M parameters)."""

    def __init__(self, features: int = 20, d_model: int = 512, layers: int = 3) -> None:
        super().__init__()
        self.embed = nn.Linear(1, d_model)  # each feature a token
        layer = nn.TransformerEncoderLayer(d_model, 8, 4 * d_model, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encoder(self.embed(x.unsqueeze(-1)))  # (B, F, d)
        return self.head(h.mean(dim=1))


def huge_model(params: float) -> nn.Module:
    """A model of about ``params`` parameters on the meta device (the seed's HugeModel(1.5e9))."""
    width = 8192
    layers = max(1, round(params / (width * width)))
    with torch.device("meta"):
        blocks = [nn.Linear(width, width) for _ in range(layers)]
        return nn.Sequential(*[m for b in blocks for m in (b, nn.ReLU())], nn.Linear(width, 10))


def mlp(*widths: int, act: type[nn.Module] = nn.ReLU, last: nn.Module | None = None) -> nn.Module:
    mods: list[nn.Module] = []
    for a, b in zip(widths, widths[1:]):
        mods += [nn.Linear(a, b), act()]
    mods.pop()
    if last is not None:
        mods.append(last)
    return nn.Sequential(*mods)


class Lstm(nn.Module):
    def __init__(self, features: int = 16, hidden: int = 64) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


class Unused(nn.Module):
    def __init__(self, use_extra: bool) -> None:
        super().__init__()
        self.use_extra = use_extra
        self.fc1, self.fc2, self.extra = nn.Linear(8, 8), nn.Linear(8, 1), nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.fc1(x))
        if self.use_extra:
            h = self.extra(h)
        return self.fc2(h)


def encoder(norm_first: bool, layers: int = 6, d: int = 64) -> nn.Module:
    layer = nn.TransformerEncoderLayer(d, 4, 4 * d, batch_first=True, norm_first=norm_first)
    return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)


class LocalAttention(nn.Module):
    """Sliding-window attention over windows of ``window`` tokens."""

    def __init__(self, d: int = 32, window: int = 256) -> None:
        super().__init__()
        self.window, self.qkv, self.out = window, nn.Linear(d, 3 * d), nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t // self.window, self.window, 3, d).unbind(3)  # (B, W, w, d) each
        y = nn.functional.scaled_dot_product_attention(q, k, v)
        return x + self.out(y.reshape(b, t, d))


def graph_inputs(nodes: int = 50, edges: int = 200) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    src = torch.randint(0, nodes, (edges,), generator=g)
    dst = (src + torch.randint(1, nodes, (edges,), generator=g)) % nodes
    return [torch.randn(nodes, 16, generator=g), torch.stack([src, dst])]


class Gcn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        from torch_geometric.nn import GCNConv

        self.c1, self.c2 = GCNConv(16, 32), GCNConv(32, 4)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        return self.c2(torch.relu(self.c1(x, edge_index)), edge_index)


def seq_cnn(c1: int, c2: int, c3: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(c2, c3, 3, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c3, 10))


IMG = [(1, 3, 32, 32)]
IMAGE = P("image", samples=50_000)

# code: (violates, passes)
CASES: dict[str, tuple[Case, Case]] = {
    "AW101": (Case(lambda: nn.Sequential(nn.Flatten(), *mlp(3 * 32 * 32, 512, 10)), IMG, IMAGE),
              Case(lambda: seq_cnn(32, 64, 128), IMG, IMAGE)),
    "AW102": (Case(lambda: nn.Sequential(nn.Unflatten(1, (1, 20)), nn.Conv1d(1, 16, 3), nn.Flatten(),
                                         nn.Linear(16 * 18, 1)), [(4, 20)], P("tabular", samples=5000)),
              Case(lambda: mlp(20, 64, 1), [(4, 20)], P("tabular", samples=5000))),
    "AW103": (Case(Lstm, [(1, 1100, 16)], P("timeseries", samples=50_000)),
              Case(Lstm, [(1, 48, 16)], P("timeseries", samples=50_000))),
    "AW104": (Case(lambda: encoder(True, 2, 32), [(1, 4096 + 512, 32)], P("sequence", samples=50_000)),
              Case(lambda: LocalAttention(), [(1, 4096 + 512, 32)], P("sequence", samples=50_000))),
    "AW105": (Case(HugeTransformer, [(4, 20)], P("tabular", samples=100)),
              Case(lambda: nn.Linear(20, 1), [(4, 20)], P("tabular", samples=100))),
    "AW106": (Case(lambda: encoder(True, 2, 32), [(2, 48, 32)], P("timeseries", samples=50_000)),
              Case(lambda: Lstm(32), [(2, 48, 32)], P("timeseries", samples=50_000))),
    "AW201": (Case(lambda: plain_conv_stack(100, 64), [(1, 3, 16, 16)], P("image")),
              Case(resnet50, [(1, 3, 224, 224)], P("image"))),
    "AW202": (Case(lambda: encoder(False), [(2, 200, 64)], P("sequence", samples=50_000)),
              Case(lambda: encoder(True), [(2, 200, 64)], P("sequence", samples=50_000))),
    "AW203": (Case(lambda: mlp(64, 64, 64, 64, 64, 64, 64, 1, act=nn.Sigmoid), [(2, 64)], P("tabular", samples=10**6)),
              Case(lambda: mlp(64, 64, 64, 64, 64, 64, 64, 1), [(2, 64)], P("tabular", samples=10**6))),
    "AW204": (Case(lambda: Unused(False), [(2, 8)], P("tabular", samples=5000)),
              Case(lambda: Unused(True), [(2, 8)], P("tabular", samples=5000))),
    "AW301": (Case(lambda: plain_conv_stack(100, 8), [(1, 3, 16, 16)], P("image")),
              Case(resnet18, [(1, 3, 64, 64)], P("image"))),
    "AW302": (Case(lambda: mlp(784, 1024, 10), [(2, 784)], P("image")),
              Case(lambda: mlp(784, 256, 128, 64, 10), [(2, 784)], P("tabular", samples=50_000))),
    "AW303": (Case(lambda: seq_cnn(64, 64, 32), IMG, IMAGE),
              Case(lambda: seq_cnn(64, 128, 256), IMG, IMAGE)),
    "AW304": (Case(lambda: mlp(784, 512, 4, 512, 10), [(2, 784)], P("tabular", samples=10**6)),
              Case(lambda: mlp(784, 512, 256, 128, 10), [(2, 784)], P("tabular", samples=10**6))),
    "AW401": (Case(lambda: mlp(20, 256, 256, 1), [(4, 20)], P("tabular", samples=100)),
              Case(lambda: nn.Linear(20, 1), [(4, 20)], P("tabular", samples=100))),
    "AW402": (Case(lambda: nn.Linear(20, 1), [(4, 20)], P("tabular", samples=10**6)),
              Case(lambda: mlp(20, 256, 256, 1), [(4, 20)], P("tabular", samples=10**6))),
    "AW501": (Case(lambda: huge_model(1.5e9), [(8, 8192)], P("tabular", memory="24GB", optimizer="adam")),
              Case(lambda: huge_model(2e8), [(8, 8192)], P("tabular", memory="24GB", optimizer="adam"))),
    "AW502": (Case(resnet50, [(1, 3, 224, 224)], P("image", device="phone-cpu", latency_budget="20ms")),
              Case(lambda: hf("MobileNetV2ForImageClassification"), [(1, 3, 224, 224)],
                   P("image", device="phone-cpu", latency_budget="20ms"))),
    "AW601": (Case(lambda: plain_conv_stack(52, 256), [(1, 3, 8, 8)], P("image")),
              Case(resnet50, [(1, 3, 224, 224)], P("image"))),
    "AW602": (Case(resnet18, [(1, 3, 64, 64)], P("image", device="phone-cpu")),
              Case(lambda: hf("MobileNetV2ForImageClassification"), [(1, 3, 64, 64)], P("image", device="phone-cpu"))),
    "AW701": (Case(lambda: nn.Sequential(*[m for _ in range(12) for m in (nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())]),
                   [(1, 16, 8, 8)], P("image")),
              Case(lambda: plain_conv_stack(8, 16), [(1, 3, 8, 8)], P("image"))),
    "AW702": (Case(lambda: nn.Sequential(nn.Linear(64, 10), nn.Softmax(dim=1)), [(2, 64)], P("tabular", samples=5000)),
              Case(lambda: nn.Sequential(nn.Linear(64, 10), nn.LogSoftmax(dim=1)), [(2, 64)],
                   P("tabular", samples=5000, loss="nll"))),
    "AW703": (Case(lambda: nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.Dropout(0.3),
                                         nn.BatchNorm2d(64)), [(2, 3, 8, 8)], P("image")),
              Case(lambda: nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                                         nn.Dropout(0.3)), [(2, 3, 8, 8)], P("image"))),
    "AW801": (Case(lambda: mlp(20, 64, 64, 1), [(4, 20)], P("tabular", samples=800)),
              Case(lambda: nn.Linear(20, 1), [(4, 20)], P("tabular", samples=800))),
    "AW802": (Case(lambda: mlp(20, 64, 1), [(4, 20)], P("tabular", samples=5000), {"baseline_score": 0.85, "score": 0.86}),
              Case(lambda: mlp(20, 64, 1), [(4, 20)], P("tabular", samples=5000), {"baseline_score": 0.80, "score": 0.88})),
}

# The seed's anti-patterns, "Wrong" then "Right", and the rule each "Wrong" must fire.
ANTI_PATTERNS: dict[int, tuple[str, Case, Case]] = {
    1: ("AW105", Case(HugeTransformer, [(4, 20)], P("tabular", samples=100)),
        Case(lambda: nn.Linear(20, 1), [(4, 20)], P("tabular", samples=100))),
    2: ("AW201", Case(lambda: plain_conv_stack(100, 64), [(1, 3, 16, 16)], P("image")),
        Case(resnet50, [(1, 3, 224, 224)], P("image"))),
    3: ("AW301", Case(lambda: plain_conv_stack(100, 8), [(1, 3, 16, 16)], P("image")),
        Case(resnet18, [(1, 3, 64, 64)], P("image"))),
    4: ("AW501", Case(lambda: huge_model(1.5e9), [(8, 8192)], P("tabular", memory="24GB", optimizer="adam")),
        Case(lambda: huge_model(2e8), [(8, 8192)], P("tabular", memory="24GB", optimizer="adam"))),
    5: ("AW101", Case(lambda: nn.Sequential(nn.Flatten(), *mlp(3 * 32 * 32, 512, 10)), IMG, IMAGE),
        Case(resnet18, [(2, 3, 32, 32)], P("image"))),
}
