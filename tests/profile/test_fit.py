"""The fit verdict, the largest batch, remedies, multi-GPU plans, the device catalog and units."""

from __future__ import annotations

import math

import pytest
import torch
import transformers
from torch import nn

import archwise
from archwise.profile import TrainingMemory, per_gpu_bytes
from archwise.spec import parse_bytes, with_batch

transformers.logging.set_verbosity_error()
GiB = 1 << 30


def mlp(width: int = 1024, depth: int = 4) -> nn.Module:
    return nn.Sequential(*[m for _ in range(depth) for m in (nn.Linear(width, width), nn.ReLU())])


def test_sharding_arithmetic_by_hand():
    parts = dict(weights=400, weight_copies=0, gradients=400, optimizer_state=800, activations=100, transient=10)
    step = dict(parts, transient=400)  # the optimizer's temporaries
    m = TrainingMemory(1710, 400, 0, 400, 800, 100, 10, "backward", {"backward": parts, "optimizer": step}, "adamw",
                       "fp32", False)
    n, grads_all, unit = 4, 400, (20, 40)
    # Each strategy is the larger of its backward and its optimizer phase (w, g, o, a, r = weights,
    # gradients, optimizer state, activations, transient; step temporaries shard under ZeRO).
    ddp = max(400 + 400 + 800 + 100 + 10 + 400, 400 + 400 + 800 + 100 + 400 + 400)
    zero1 = max(400 + 400 + 800 // 4 + 100 + 10 + 400, 400 + 400 + 800 // 4 + 100 + 400 // 4 + 400)
    zero2 = max(400 + 400 // 4 + 800 // 4 + 100 + 10 + 40, 400 + 400 // 4 + 800 // 4 + 100 + 400 // 4)
    zero3 = max(1600 // 4 + 100 + 10 + 2 * 20 + 40, 1600 // 4 + 100 + 400 // 4)
    assert (ddp, zero1, zero2, zero3) == (2500, 1600, 900, 600)
    assert per_gpu_bytes(m, "ddp", n, grads_all, unit) == ddp
    assert per_gpu_bytes(m, "zero1", n, grads_all, unit) == zero1
    assert per_gpu_bytes(m, "zero2", n, grads_all, unit) == zero2
    assert per_gpu_bytes(m, "zero3", n, grads_all, unit) == zero3
    assert per_gpu_bytes(m, "fsdp", n, grads_all, unit) == zero3
    assert per_gpu_bytes(m, "zero3", 1, grads_all, unit) == 1600 + 100 + 400  # one GPU: nothing sharded


def test_zero3_matches_the_zero_papers_16_bytes_per_parameter():
    # Mixed-precision Adam holds 16 bytes per parameter (Rajbhandari et al. 2020): fp32 weights,
    # fp32 gradients, two fp32 moments. Sharded over N GPUs that is 16Ψ/N.
    model = mlp()
    params = sum(p.numel() for p in model.parameters())
    m = archwise.simulate_training(model, [(8, 1024)], optimizer="adamw", precision="bf16-mixed", target="gpu")
    assert m.weights + m.optimizer_state == 12 * params + 4 * len(list(model.parameters()))
    phases = m.phases["optimizer"]
    assert phases["gradients"] == 4 * params
    at_8 = per_gpu_bytes(m, "zero3", 8, 4 * params, (2 * 1024 * 1025, 4 * 1024 * 1025))
    assert at_8 >= math.ceil(16 * params / 8)


def test_fit_lines_add_up_and_verdict_follows_them():
    r = archwise.fit(mlp(), [(32, 1024)], device="t4")
    assert sum(x.bytes for x in r.lines) == r.required_bytes
    assert [x.name for x in r.lines] == ["tensors at the peak of the training step", "allocator block rounding",
                                        "cuBLAS workspace", "CUDA context"]
    assert r.lines[2].bytes == 2 * 4096 * 1024 + 8 * 16 * 1024  # Turing: PyTorch's :4096:2:16:8
    assert r.usable_bytes == int(16 * GiB * 0.9) and r.fits == (r.required_bytes <= r.usable_bytes)
    assert archwise.fit(mlp(), [(32, 1024)], device="h100-sxm").lines[2].bytes == 32 << 20  # Hopper


def test_largest_batch_is_the_boundary(examples):
    model = examples.PlainCNN(6)
    r = archwise.fit(model, [(8, 3, 32, 32)], memory="1GB", train=True, optimizer="sgd")
    b = r.max_batch_size
    assert b is not None and b > 8

    def required(batch):
        m = archwise.simulate_training(model, with_batch([archwise.InputSpec((8, 3, 32, 32))], batch),
                                       optimizer="sgd", target="gpu")
        return m.peak_bytes + (r.required_bytes - r.lines[0].bytes)

    assert required(b) <= r.usable_bytes < required(b + 1)


def test_remedies_when_it_does_not_fit(examples):
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(n_embd=256, n_layer=4, n_head=4, vocab_size=5000,
                                                                 n_positions=512))
    r = archwise.fit(model, ["int64:16x512"], memory="1GB", train=True)
    assert not r.fits
    sharding = next(x for x in r.remedies if x.name == "sharding")
    assert not sharding.fits and sharding.detail == "no number of GPUs fits: activations alone exceed one GPU"
    r = archwise.fit(model, ["int64:16x512"], memory="2GB", train=True)
    assert not r.fits
    names = [x.name for x in r.remedies]
    assert names[:2] == ["mixed precision", "activation checkpointing"]  # the seed's order
    base = r.lines[0].bytes + r.lines[1].bytes + r.lines[2].bytes + r.lines[3].bytes
    assert r.remedies[0].required_bytes < base and r.remedies[1].required_bytes < base
    batch = next(x for x in r.remedies if x.name.startswith("smaller batch"))
    assert f"batch {r.max_batch_size} × {math.ceil(16 / r.max_batch_size)} gradient-accumulation steps" == batch.detail
    sharding = next(x for x in r.remedies if x.name == "sharding")
    assert sharding.detail == "not needed: --checkpointing alone fits on one GPU"
    smaller = next(x for x in r.remedies if x.name == "a smaller model")
    assert not smaller.fits or smaller.required_bytes <= r.usable_bytes
    assert r.remedies[1].fits  # checkpointing


def test_fits_nowhere_is_said_plainly():
    r = archwise.fit(mlp(4096, 8), [(1, 4096)], memory="64MB")
    assert not r.fits and r.max_batch_size is None
    assert any("even a batch of 1" in x.detail for x in r.remedies)


def test_llama_70b_fewest_h100s_under_zero3():
    config = dict(hidden_size=8192, intermediate_size=28672, num_hidden_layers=80, num_attention_heads=64,
                  num_key_value_heads=8, vocab_size=128256)
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**config))
    r = archwise.fit(model, ["int64:1x4096"], device="h100-sxm", precision="bf16-mixed", sharding="zero3", gpus=8,
                     checkpointing=True, search_batch=False)
    zero3 = next(p for p in r.plans if p.strategy == "zero3")
    assert zero3.fewest_gpus is not None
    assert zero3.fewest_gpus >= math.ceil(16 * 70_553_706_496 / r.usable_bytes)  # the states alone
    m = r.memory
    overhead = r.required_bytes - m.peak_bytes
    trainable = 4 * 70_553_706_496
    unit = (2 * 855_654_400, 4 * 855_654_400)  # one decoder layer, gathered in bf16, its fp32 gradient
    assert per_gpu_bytes(m, "zero3", zero3.fewest_gpus, trainable, unit) + overhead <= r.usable_bytes
    assert per_gpu_bytes(m, "zero3", zero3.fewest_gpus - 1, trainable, unit) + overhead > r.usable_bytes


def test_device_catalog_has_sources():
    names = {d.name for d in archwise.DEVICES.values()}
    assert {"h100-sxm", "a100-40gb", "a100-80gb", "l4", "t4", "rtx-4090", "jetson-orin", "phone-cpu"} <= names
    for device in archwise.DEVICES.values():
        assert {"memory", "peak_flops", "bandwidth"} <= set(device.sources)
        assert device.memory_bytes > 0 and device.bandwidth > 0 and device.peak_flops["fp32"] > 0
    assert archwise.get_device("cpu").memory_bytes > 0  # this machine, from /proc/meminfo


def test_unknown_device_lists_the_known_ones():
    with pytest.raises(archwise.ArchwiseError) as err:
        archwise.get_device("h1000")
    assert "unknown device 'h1000'; did you mean 'h100-sxm'?; known: h100-sxm, a100-40gb" in str(err.value)


@pytest.mark.parametrize("text", ["24GB", "24 GiB", "24gb", "24 gb", "24G", "24576MiB", "24576 MB"])
def test_memory_sizes_parse(text):
    assert parse_bytes(text) == 24 * GiB


@pytest.mark.parametrize("text", ["24 parsecs", "GB", "-3GB", "0GB", "twenty GB"])
def test_malformed_memory_sizes_fail(text):
    with pytest.raises(archwise.ArchwiseError, match="cannot read memory size"):
        parse_bytes(text)


def test_bad_fit_options():
    with pytest.raises(archwise.ArchwiseError, match="unknown sharding 'zero4'; known: ddp, zero1"):
        archwise.fit(mlp(64, 1), [(2, 64)], device="t4", sharding="zero4")
    with pytest.raises(archwise.ArchwiseError, match="--gpus must be at least 1"):
        archwise.fit(mlp(64, 1), [(2, 64)], device="t4", gpus=0)
    with pytest.raises(archwise.ArchwiseError, match="give --device or --memory, not both"):
        archwise.fit(mlp(64, 1), [(2, 64)], device="t4", memory="16GB")
