#!/usr/bin/env bash
# `make demo`: design models for a few problems and emit one, profile bundled models (their memory,
# fit and latency), check models against the seed's checklist, diagnose a monitored training, and
# run the seed's "start simple" ladder on digits. The next issue grows this into design → ladder →
# monitor → report on one bundled dataset.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
# archwise check exits 1 when it finds an error: expected here, so show the code and go on.
lint() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" || printf '(exit code %s: findings at or above --fail-on)\n' "$?"; }
out="${TMPDIR:-/tmp}/archwise-demo"
mkdir -p "$out"

# CIFAR-10 on an A100 with a 30 ms budget: the seed's tree says ResNet, the data size says ResNet-20.
# The model is written as standalone PyTorch, then profiled and checked like any user model.
run archwise design --modality image --input 3x32x32 --samples 50000 --outputs 10 --device a100-40gb \
  --latency-budget 30ms --batch-size 128 --emit "$out/cifar_model.py"
run archwise profile "$out/cifar_model.py:build_model" --input 1x3x32x32
lint archwise check "$out/cifar_model.py:build_model" --input 1x3x32x32 --modality image --samples 50000 \
  --device a100-40gb --latency-budget 30ms --batch-size 128
# ImageNet-sized images for a phone: the tree turns to MobileNetV2/EfficientNet (as Markdown, for a PR).
run archwise design --modality image --input 3x224x224 --samples 1200000 --outputs 1000 --device phone-cpu \
  --latency-budget 30ms --format markdown
# A sensor time series of 48 steps: an LSTM, with a GRU beside it.
run archwise design --modality timeseries --input 8 --seq-len 48 --samples 20000 --outputs 1 --task regression \
  --device t4

# A small residual CNN, with the per-layer table: params and FLOPs add up to the totals.
run archwise profile examples/models.py:ResNet --input 8x3x32x32 --per-layer
# The seed's anti-pattern: 20 plain convolutions and no skip connection.
run archwise profile examples/models.py:PlainCNN --input 8x3x32x32 --kwargs '{"depth": 20}'
# ResNet-50 from transformers' own config (ImageNet's 1000 classes): no weights, no download.
run archwise profile hf:ResNetForImageClassification --input 1x3x224x224 --config '{"num_labels": 1000}'
# Does the ResNet train on a T4? Simulated memory, the verdict, the largest batch, and latency.
run archwise profile examples/models.py:ResNet --input 64x3x32x32 --train --device t4
# Llama-3-70B at 4096 tokens, bf16-mixed AdamW, on H100s under ZeRO-3: seconds, and no memory for
# its 282 GB of weights. How many H100s does a full fine-tune need?
run archwise profile hf:LlamaForCausalLM --input int64:1x4096 --config \
  '{"hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80, "num_attention_heads": 64, "num_key_value_heads": 8, "vocab_size": 128256}' \
  --train --precision bf16-mixed --device h100-sxm --sharding zero3 --gpus 8 --checkpointing --no-batch-search
# A graph network: its self-loop handling needs tensor values, so archwise falls back to a real run.
run archwise profile examples/models.py:GCN --input 100x16 --input int64:2x400:0..100
# The linter: the seed's anti-pattern 3 (100 layers × 8 channels) fails; a small ResNet passes.
lint archwise check examples/antipatterns.py:VeryDeepNarrow --input 2x3x32x32 --modality image --samples 50000
lint archwise check examples/antipatterns.py:SmallResNet --input 2x3x32x32 --modality image --samples 50000
# ResNet-50 for a phone with a 20 ms budget: predicted latency, and the cheapest change that meets it.
lint archwise check hf:ResNetForImageClassification --input 1x3x224x224 --config '{"num_labels": 1000}' \
  --modality image --device phone-cpu --latency-budget 20ms

# Training with archwise.Monitor: 16 plain sigmoid layers on digits, diagnosed from the saved run
# (vanishing gradients first, with the seed's remedies in order), and the gradient-flow plot.
run python examples/monitor_digits.py "$out/run.jsonl"
run archwise diagnose "$out/run.jsonl" --plot "$out/run.png"
# The same data with a 2-layer ReLU MLP: nothing to report.
run python examples/monitor_digits.py "$out/healthy.jsonl" --healthy
run archwise diagnose "$out/healthy.jsonl"

# The seed's "start simple" on digits: linear, two MLPs, then the CNN archwise design picks, each
# over 3 seeds; the CNN is kept only because it beats the MLPs by more than 5 % and the noise.
run archwise ladder digits --out "$out/ladder"
