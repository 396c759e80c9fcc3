"""The ``transformers`` reference models, checked against the problems they were built for, raise no
errors. Their warnings are listed (with why) in the README; this test keeps that list true."""

from __future__ import annotations

import pytest

import archwise
from archwise import ProblemSpec as P

from .fixtures import hf

CASES = {
    "ResNet-50": (lambda: hf("ResNetForImageClassification", num_labels=1000), [(1, 3, 224, 224)],
                  P("image", samples=1_281_167, device="a100-80gb", batch_size=256, precision="bf16-mixed",
                    optimizer="momentum"), set()),
    "MobileNetV2": (lambda: hf("MobileNetV2ForImageClassification"), [(1, 3, 224, 224)],
                    P("image", samples=1_281_167, device="phone-cpu", latency_budget="100ms"), set()),
    "ViT-B/16": (lambda: hf("ViTForImageClassification", num_labels=1000), [(1, 3, 224, 224)],
                 P("image", samples=14_000_000, device="a100-80gb", batch_size=64, precision="bf16-mixed"), set()),
    "BERT-base": (lambda: hf("BertModel"), ["int64:1x128"],
                  P("text", samples=25_000_000, device="a100-80gb", batch_size=32, precision="bf16-mixed"), {"AW202"}),
    "GPT-2": (lambda: hf("GPT2LMHeadModel"), ["int64:1x1024"],
              P("text", samples=8_000_000, device="a100-80gb", batch_size=8, precision="bf16-mixed"), set()),
    "Llama-2-7B config": (lambda: hf("LlamaForCausalLM"), ["int64:1x2048"], P("text", samples=1_000_000_000), set()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_reference_model_has_no_errors_and_the_listed_warnings(name):
    build, inputs, spec, warnings = CASES[name]
    report = archwise.check_report(build(), inputs, spec, archwise.CheckConfig())
    by_level = {level: {f.code for f in report.findings if f.severity.value == level} for level in ("error", "warning")}
    assert by_level["error"] == set(), [f.message for f in report.findings if f.severity.value == "error"]
    assert by_level["warning"] == warnings
    assert report.findings and all(f.code in ("AW202", "AW401") for f in report.findings)  # AW401: info, per sample
