"""Parameter counts and forward MACs against the figures published for each architecture.

References: torchvision's model documentation (params and GFLOPS, which are MACs, for
ResNet-50, ResNet-18, MobileNetV2 and ViT-B/16 at 224×224), the BERT-base and GPT-2 (124M)
model cards, and Meta's Llama-3-70B configuration. HF's image classifiers default to 2 labels;
the published figures are for ImageNet's 1000.
"""

from __future__ import annotations

import pytest

import archwise
from tests.conftest import build_hf

IMAGENET = {"num_labels": 1000}
RESNET18 = {**IMAGENET, "layer_type": "basic", "depths": [2, 2, 2, 2], "hidden_sizes": [64, 128, 256, 512]}

PUBLISHED = [
    # name, config, input, params, forward GMACs (None: no published figure)
    ("ResNetForImageClassification", IMAGENET, "1x3x224x224", 25_557_032, 4.089),
    ("ResNetForImageClassification", RESNET18, "1x3x224x224", 11_689_512, 1.814),
    ("MobileNetV2ForImageClassification", IMAGENET, "1x3x224x224", 3_504_872, 0.301),
    ("ViTForImageClassification", IMAGENET, "1x3x224x224", 86_567_656, 17.56),
    ("BertModel", {}, "int64:1x128", 109_482_240, None),
    ("GPT2LMHeadModel", {}, "int64:1x128", 124_439_808, None),
]
IDS = ["resnet50", "resnet18", "mobilenet_v2", "vit_b16", "bert_base", "gpt2"]


@pytest.fixture(scope="module", params=PUBLISHED, ids=IDS)
def case(request):
    name, config, inp, params, gmacs = request.param
    return archwise.profile(build_hf(name, **config), [inp]), params, gmacs


def test_parameter_count_is_exact(case):
    profile, params, _ = case
    assert profile.params.total == params
    assert profile.params.trainable == params
    assert profile.params.bytes == 4 * params  # all float32


def test_forward_macs_within_half_a_percent(case):
    profile, _, gmacs = case
    if gmacs is None:
        assert profile.macs_forward > 0
        return
    assert profile.macs_forward / 1e9 == pytest.approx(gmacs, rel=0.005)


def test_rows_add_up_to_totals(case):
    profile, _, _ = case
    assert sum(r.params for r in profile.layers) == profile.params.total
    assert sum(r.flops_forward for r in profile.layers) == profile.flops_forward
    assert sum(r.flops_backward for r in profile.layers) == profile.flops_backward
    assert sum(f for f, _ in profile.flops_by_op.values()) == profile.flops_forward


def test_runs_on_meta(case):
    profile, _, _ = case
    assert profile.method == "meta" and profile.notes == ()


def test_backward_counted_from_ops_is_about_twice_forward(case):
    # Each weighted op's backward computes a weight gradient and, except for the first layer,
    # an input gradient: a little under 2× the forward. Counted, not assumed, so not exactly 2.
    profile, _, _ = case
    assert 1.85 <= profile.flops_backward / profile.flops_forward <= 2.01


@pytest.mark.parametrize(
    "name, config, depth, residual, projections",
    [
        ("ResNetForImageClassification", IMAGENET, 50, 16, 4),
        ("ResNetForImageClassification", RESNET18, 18, 8, 3),
        ("MobileNetV2ForImageClassification", IMAGENET, 53, 10, 0),
        ("ViTForImageClassification", IMAGENET, 50, 24, 0),  # 12 × (qkv, o, fc1, fc2) + patch conv + head
        ("BertModel", {}, 49, 24, 0),  # 12 × 4 + pooler
        ("GPT2LMHeadModel", {}, 49, 24, 0),  # 12 × 4 + lm_head
    ],
    ids=IDS,
)
def test_structure_of_published_architectures(name, config, depth, residual, projections):
    inp = "int64:1x32" if name in ("BertModel", "GPT2LMHeadModel") else "1x3x224x224"
    s = archwise.profile(build_hf(name, **config), [inp]).structure
    assert s.depth == depth
    assert s.skip_counts() == {"residual": residual}
    assert sum(k.projection for k in s.skip_connections) == projections


def test_families_are_read_from_the_ops():
    s = archwise.profile(build_hf("ViTForImageClassification", **IMAGENET), ["1x3x224x224"]).structure
    assert set(s.families) == {"convolution", "layer_norm", "linear", "attention", "gelu"}
    s = archwise.profile(build_hf("MobileNetV2ForImageClassification", **IMAGENET), ["1x3x224x224"]).structure
    assert set(s.families) == {"convolution", "batch_norm", "relu6", "pooling", "linear"}


def test_gpt2_tied_head_counts_once():
    profile = archwise.profile(build_hf("GPT2LMHeadModel"), ["int64:1x16"])
    head = next(r for r in profile.layers if r.path == "lm_head")
    assert head.params == 0 and head.tied_to == ("weight=transformer.wte",)
    wte = next(r for r in profile.layers if r.path == "transformer.wte")
    assert wte.params == 50257 * 768


LLAMA3_70B = dict(hidden_size=8192, intermediate_size=28672, num_hidden_layers=80, num_attention_heads=64,
                  num_key_value_heads=8, vocab_size=128256)


def test_llama3_70b_parameters_exact_and_macs_by_hand():
    profile = archwise.profile(build_hf("LlamaForCausalLM", **LLAMA3_70B), ["int64:1x4096"])
    assert profile.params.total == 70_553_706_496
    # Every weight matrix except the embedding multiplies each of the T tokens once; attention
    # adds Q·Kᵀ and A·V (T × T × hidden each) per layer. RMSNorm weights are not matrices.
    t, layers, d, vocab = 4096, 80, 8192, 128256
    norms = (2 * layers + 1) * d
    matrices = profile.params.total - vocab * d - norms
    assert profile.macs_forward == matrices * t + layers * 2 * t * t * d
    assert profile.structure.depth == 80 * 4 + 1
    assert profile.structure.skip_counts() == {"residual": 160}
