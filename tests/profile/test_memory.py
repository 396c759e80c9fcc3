"""Simulated training and inference memory against the same step run for real on the CPU.

The reference (``measure_training_peak``) counts bytes from the profiler's allocation events, the
allocator's own accounting, and shares nothing with the simulation but the step it runs.
"""

from __future__ import annotations

import pytest
import torch
import transformers
from torch import nn

import archwise
from archwise.profile.measure import measure_inference_peak, measure_training_peak
from tests.profile.test_untouched import assert_same, snapshot

transformers.logging.set_verbosity_error()


def zoo(examples=None):
    from examples.zoo import ZOO

    return ZOO


NAMES = ["mlp", "plain_cnn", "resnet18", "mobilenet_v2", "vit", "bert", "gpt2", "lstm", "gcn"]


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
@pytest.mark.parametrize("name", NAMES)
def test_training_peak_within_2_percent_of_a_real_step(examples, name, optimizer):
    build, inputs = zoo(examples)[name]
    model = build()
    simulated = archwise.simulate_training(model, inputs, optimizer=optimizer)
    real = measure_training_peak(model, inputs, optimizer=optimizer)
    assert simulated.peak_bytes == pytest.approx(real, rel=0.02)
    assert sum(simulated.parts().values()) == simulated.peak_bytes


@pytest.mark.parametrize("precision", ["bf16-mixed", "bf16"])
@pytest.mark.parametrize("name", ["mlp", "gpt2", "lstm", "resnet18"])
def test_low_precision_peak_within_2_percent(examples, name, precision):
    build, inputs = zoo(examples)[name]
    model = build()
    simulated = archwise.simulate_training(model, inputs, optimizer="adamw", precision=precision)
    real = measure_training_peak(model, inputs, optimizer="adamw", precision=precision)
    assert simulated.peak_bytes == pytest.approx(real, rel=0.02)


@pytest.mark.parametrize("name", ["gpt2", "resnet18"])
def test_checkpointing_is_simulated_and_saves_activations(examples, name):
    build, inputs = zoo(examples)[name]
    model = build()
    plain = archwise.simulate_training(model, inputs, optimizer="sgd")
    ckpt = archwise.simulate_training(model, inputs, optimizer="sgd", checkpointing=True)
    real = measure_training_peak(model, inputs, optimizer="sgd", checkpointing=True)
    assert ckpt.checkpointing and ckpt.peak_bytes == pytest.approx(real, rel=0.02)
    assert ckpt.activations < plain.activations


def test_breakdown_matches_what_each_part_must_be():
    model = nn.Sequential(nn.Linear(1000, 1000), nn.ReLU(), nn.Linear(1000, 10))
    params = sum(p.numel() * 4 for p in model.parameters())
    adamw = archwise.simulate_training(model, [(32, 1000)], optimizer="adamw")
    assert adamw.weights == params
    # exp_avg and exp_avg_sq per parameter, plus one 4-byte step counter per parameter tensor
    assert adamw.optimizer_state == 2 * params + 4 * 4
    sgd = archwise.simulate_training(model, [(32, 1000)], optimizer="sgd")
    assert sgd.optimizer_state == 0 and sgd.peak_phase == "backward"
    momentum = archwise.simulate_training(model, [(32, 1000)], optimizer="momentum")
    assert momentum.optimizer_state == params
    mixed = archwise.simulate_training(model, [(32, 1000)], optimizer="adamw", precision="bf16-mixed")
    assert mixed.weights == params  # fp32 master weights
    pure = archwise.simulate_training(model, [(32, 1000)], optimizer="adamw", precision="bf16")
    assert pure.weights == params // 2 and pure.optimizer_state == params + 4 * 4  # bf16 moments, fp32 steps


def test_inference_peak_and_kv_cache(examples):
    build, inputs = zoo(examples)["gpt2"]
    model = build()
    simulated = archwise.simulate_inference(model, inputs)
    assert simulated.peak_bytes == pytest.approx(measure_inference_peak(model, inputs), rel=0.02)
    assert simulated.kv_cache_bytes == 2 * 2 * 4 * 64 * 128 * 4  # k and v · layers · batch · tokens · width · fp32
    cnn = examples.PlainCNN(6)
    assert archwise.simulate_inference(cnn, [(8, 3, 32, 32)]).peak_bytes == \
        pytest.approx(measure_inference_peak(cnn, [(8, 3, 32, 32)]), rel=0.02)
    assert archwise.simulate_inference(cnn, [(8, 3, 32, 32)]).kv_cache_bytes is None


def test_simulation_leaves_model_as_found(examples):
    for name in ("resnet18", "lstm", "gpt2"):
        build, inputs = zoo(examples)[name]
        model = build()
        before = snapshot(model)
        archwise.simulate_training(model, inputs, optimizer="adamw", checkpointing=name != "lstm")
        archwise.simulate_inference(model, inputs)
        assert_same(before, snapshot(model))
        assert "forward" not in vars(model) and all("forward" not in vars(m) for m in model.modules())


def test_meta_built_70b_model_simulates_without_memory():
    config = dict(hidden_size=8192, intermediate_size=28672, num_hidden_layers=80, num_attention_heads=64,
                  num_key_value_heads=8, vocab_size=128256)
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**config))
    m = archwise.simulate_training(model, ["int64:1x4096"], optimizer="adamw", precision="bf16-mixed")
    params = 70_553_706_496
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())  # rotary inv_freq
    assert m.weights == 4 * params + buffers  # fp32 master weights
    assert m.optimizer_state == 8 * params + 4 * len(list(model.parameters()))  # two fp32 moments, a step each
    assert sum(m.parts().values()) == m.peak_bytes


@pytest.mark.parametrize("kwargs, message", [
    ({"optimizer": "adamm"}, "unknown optimizer 'adamm'; did you mean 'adam' or 'adamw'?; known: sgd, momentum"),
    ({"precision": "bf32"}, "unknown precision 'bf32'"),
    ({"loss": "hinge"}, "unknown loss 'hinge'"),
])
def test_bad_options_list_the_known_ones(kwargs, message):
    with pytest.raises(archwise.ArchwiseError) as err:
        archwise.simulate_training(nn.Linear(4, 2), [(2, 4)], **kwargs)
    assert message in str(err.value)


def test_checkpointing_without_repeated_blocks_says_so():
    with pytest.raises(archwise.ArchwiseError, match="found no repeated blocks"):
        archwise.simulate_training(nn.Linear(4, 2), [(2, 4)], checkpointing=True)


@pytest.mark.parametrize("optimizer", ["momentum", "adam", "adafactor"])
@pytest.mark.parametrize("name", ["mlp", "gpt2"])
def test_other_optimizers_within_2_percent(examples, name, optimizer):
    """Adafactor reads a parameter norm back with .item() in its step; the simulation answers 1."""
    build, inputs = zoo(examples)[name]
    model = build()
    simulated = archwise.simulate_training(model, inputs, optimizer=optimizer)
    real = measure_training_peak(model, inputs, optimizer=optimizer)
    assert simulated.peak_bytes == pytest.approx(real, rel=0.02)
    assert simulated.optimizer_state > 0
    assert any(".item()" in n for n in simulated.notes) == (optimizer == "adafactor")
