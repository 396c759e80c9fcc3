"""Profiling leaves the model exactly as found: state, flags, hooks, gradients, RNG, and memory."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn
from torch.nn.modules import module as module_globals

import archwise
from tests.conftest import ROOT, build_hf
from tests.profile.test_flops import NeedsValues

HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks",
              "_state_dict_hooks", "_load_state_dict_pre_hooks", "_forward_hooks_with_kwargs")
GLOBAL_HOOKS = ("_global_forward_hooks", "_global_forward_pre_hooks", "_global_backward_hooks",
                "_global_backward_pre_hooks")


def snapshot(model: nn.Module) -> dict:
    return {
        "state": {k: (v.clone() if not v.is_meta else (v.shape, v.dtype, "meta")) for k, v in model.state_dict().items()},
        "training": [m.training for m in model.modules()],
        "requires_grad": [p.requires_grad for p in model.parameters()],
        "grads": [p.grad for p in model.parameters()],
        "param_ids": [id(p) for p in model.parameters()],
        "hooks": [len(getattr(m, d, {}) or {}) for m in model.modules() for d in HOOK_DICTS],
        "global_hooks": [len(getattr(module_globals, d)) for d in GLOBAL_HOOKS],
        "rng": torch.get_rng_state(),
    }


def assert_same(before: dict, after: dict) -> None:
    assert before["state"].keys() == after["state"].keys()
    for key, value in before["state"].items():
        if isinstance(value, torch.Tensor):
            assert torch.equal(value, after["state"][key]), f"{key} changed"
        else:
            assert value == after["state"][key], f"{key} changed"
    for field in ("training", "requires_grad", "param_ids", "hooks", "global_hooks"):
        assert before[field] == after[field], f"{field} changed"
    assert all(g is None for g in after["grads"]), "profiling left gradients on the model"
    assert torch.equal(before["rng"], after["rng"]), "profiling changed the global RNG state"


def hf(name, **config):
    return lambda: build_hf(name, **config)


MODELS = {
    "resnet50": (hf("ResNetForImageClassification", num_labels=1000), ["1x3x224x224"]),
    "resnet18": (hf("ResNetForImageClassification", layer_type="basic", depths=[2, 2, 2, 2],
                    hidden_sizes=[64, 128, 256, 512]), ["1x3x224x224"]),
    "mobilenet_v2": (hf("MobileNetV2ForImageClassification"), ["1x3x224x224"]),
    "vit": (hf("ViTForImageClassification"), ["1x3x224x224"]),
    "bert": (hf("BertModel"), ["int64:1x32"]),
    "gpt2": (hf("GPT2LMHeadModel"), ["int64:1x32"]),
    "llama_2_layers": (hf("LlamaForCausalLM", num_hidden_layers=2, hidden_size=256, intermediate_size=512,
                          num_attention_heads=4, num_key_value_heads=2, vocab_size=1000), ["int64:1x32"]),
    "lstm": (lambda: nn.LSTM(8, 16, 2, batch_first=True), [(2, 5, 8)]),
    "gru": (lambda: nn.GRU(8, 16, batch_first=True), [(2, 5, 8)]),
    "transformer_encoder": (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 2,
                                                          enable_nested_tensor=False), [(2, 5, 16)]),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_model_left_as_found(name):
    build, inputs = MODELS[name]
    model = build()
    before = snapshot(model)
    archwise.profile(model, inputs)
    assert_same(before, snapshot(model))


@pytest.mark.parametrize("name", ["PlainCNN", "ResNet", "DenseNet", "HighwayMLP", "LSTMClassifier", "TinyTransformer"])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_cpu_models_with_weights_left_as_found(examples, name, mode):
    model = getattr(examples, name)()
    getattr(model, mode)()
    list(model.parameters())[0].requires_grad_(False)  # a frozen parameter stays frozen
    model.register_forward_hook(lambda *a: None)  # the user's own hook stays, and only it
    inputs = ["int64:2x8"] if name == "TinyTransformer" else [(2, 8, 8)] if name == "LSTMClassifier" else \
        [(2, 64)] if name == "HighwayMLP" else [(2, 3, 16, 16)]
    before = snapshot(model)
    archwise.profile(model, inputs)
    assert_same(before, snapshot(model))


def test_real_run_fallback_leaves_model_and_inputs_as_found(examples):
    model = NeedsValues(examples.ResNet())  # batch norm in training mode updates running stats in place
    x = torch.randn(2, 3, 16, 16, requires_grad=True)
    before = snapshot(model)
    assert archwise.profile(model, [x]).method == "real"
    assert_same(before, snapshot(model))
    assert x.grad is None and x.requires_grad


def test_graph_network_left_as_found(examples):
    model = examples.GCN()
    before = snapshot(model)
    archwise.profile(model, [(20, 16), "int64:2x40:0..20"])
    assert_same(before, snapshot(model))


def test_failed_profile_leaves_no_hooks(examples):
    model = examples.ResNet()
    before = snapshot(model)
    with pytest.raises(archwise.ArchwiseError):
        archwise.profile(model, [(1, 1, 8, 8)])  # wrong channel count
    assert_same(before, snapshot(model))


def test_weights_of_a_cpu_model_are_not_copied():
    # A 400 MB model: profiling must not add anything near its size to the process's peak memory.
    script = textwrap.dedent("""
        import torch, archwise
        def rss(field):
            for line in open("/proc/self/status"):
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
        model = torch.nn.Sequential(torch.nn.Linear(10_000, 10_000), torch.nn.ReLU(), torch.nn.Linear(10_000, 10))
        archwise.profile(torch.nn.Linear(4, 4), [(1, 4)])  # warm up imports and the dispatcher
        base = rss("VmRSS:")
        p = archwise.profile(model, [(64, 10_000)])
        print(p.params.bytes, rss("VmHWM:") - base)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    weights, growth = map(int, out.stdout.split())
    assert weights > 400_000_000
    assert growth < 0.1 * weights, f"peak memory grew by {growth / 1e6:.0f} MB while profiling"
