"""The memory and latency zoo: one small model per family the seed names, with an input for each.

Used by the tests and the benchmarks (the issue's list: an MLP, a plain CNN, ResNet-18, MobileNetV2,
ViT, BERT and GPT-2 from transformers' configs, an LSTM and a PyG GCN), and a place to start for
your own comparisons: ``build, inputs = ZOO["resnet18"]``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn


def _models() -> Any:
    name = "archwise_examples_models"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("models.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _hf(name: str, **config: Any) -> nn.Module:
    import transformers

    transformers.logging.set_verbosity_error()
    cls = getattr(transformers, name)
    return cls(cls.config_class(**config))


def graph_inputs(nodes: int = 200, edges: int = 800) -> list[torch.Tensor]:
    """Node features and a random edge index without self-loops (GCN adds one per node)."""
    g = torch.Generator().manual_seed(0)
    src = torch.randint(0, nodes, (edges,), generator=g)
    dst = (src + torch.randint(1, nodes, (edges,), generator=g)) % nodes
    return [torch.randn(nodes, 16, generator=g), torch.stack([src, dst])]


ZOO: dict[str, tuple[Callable[[], nn.Module], list[Any]]] = {
    "mlp": (lambda: nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 10)), [(64, 256)]),
    "plain_cnn": (lambda: _models().PlainCNN(8), [(16, 3, 32, 32)]),
    "resnet18": (lambda: _hf("ResNetForImageClassification", layer_type="basic", depths=[2, 2, 2, 2],
                             hidden_sizes=[64, 128, 256, 512], num_labels=10), [(4, 3, 64, 64)]),
    "mobilenet_v2": (lambda: _hf("MobileNetV2ForImageClassification", num_labels=10), [(4, 3, 64, 64)]),
    "vit": (lambda: _hf("ViTForImageClassification", hidden_size=192, num_hidden_layers=4, num_attention_heads=3,
                        intermediate_size=768, image_size=64, patch_size=8, num_labels=10), [(4, 3, 64, 64)]),
    "bert": (lambda: _hf("BertModel", hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=512, vocab_size=1000), ["int64:4x64"]),
    "gpt2": (lambda: _hf("GPT2LMHeadModel", n_embd=128, n_layer=2, n_head=2, vocab_size=1000, n_positions=128),
             ["int64:4x64"]),
    "lstm": (lambda: _models().LSTMClassifier(16, 64, 2), [(8, 50, 16)]),
    "gcn": (lambda: _models().GCN(16, 32, 7), graph_inputs()),
}
