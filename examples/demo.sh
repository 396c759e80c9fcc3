#!/usr/bin/env bash
# `make demo`: the whole job on scikit-learn's bundled digits (8×8 images, 10 classes), end to end:
#
#   design  → what the seed's tree and the data size say to build
#   ladder  → is it worth it? linear, two MLPs and that model, trained alike over 3 seeds
#   profile → the recommended model's params, FLOPs, memory on a T4 and latency, measured here
#   check   → the seed's checklist against it
#   monitor → its training, watched layer by layer (examples/train_recommended.py)
#   report  → one HTML file with all of it
#
# Results go to $ARCHWISE_DEMO_OUT (default out/demo). Each step's full output is in the report.
# Every step after the ladder reads what to build and the input it takes from the ladder's
# model.json, so the demo works whichever rung the ladder recommends. ARCHWISE_DEMO_LADDER=DIR
# reuses the ladder folder DIR instead of running the ladder (the tests carry on from each rung);
# ARCHWISE_DEMO_EPOCHS sets the monitored training's epochs (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${ARCHWISE_DEMO_OUT:-out/demo}"
mkdir -p "$out"
start=$SECONDS
: > "$out/timings.tsv"   # step, seconds (benchmarks/demo_steps.py reads it)
last="" t0=0
step() {  # print the next command; note how long the previous step took
  [ -n "$last" ] && printf '%s\t%s\n' "$last" "$(awk "BEGIN {print $(date +%s.%N) - $t0}")" >> "$out/timings.tsv"
  last=$1; shift; t0=$(date +%s.%N)
  [ $# -gt 0 ] && printf '\n\033[1m$ %s\033[0m\n' "$*"
  return 0
}

step design archwise design --modality image --input 1x8x8 --samples 1169 --outputs 10 --device t4 --json "> $out/design.json"
archwise design --modality image --input 1x8x8 --samples 1169 --outputs 10 --device t4 --json > "$out/design.json"
python -c "import json,sys; d=json.load(open(sys.argv[1])); print(f\"{d['architecture']}: {d['params']:,} parameters; binding constraint: {d['binding_constraint']}\")" "$out/design.json"

ladder="${ARCHWISE_DEMO_LADDER:-$out/ladder}"
if [ -z "${ARCHWISE_DEMO_LADDER:-}" ]; then
  step ladder archwise ladder digits --out "$ladder"
  archwise ladder digits --out "$ladder"
fi

# The ladder's pick, rebuilt from its model.json, at its training batch (model.json: batch_size and
# input_shape, e.g. 64x1x8x8 for the CNN or 64x64 for a rung fed flattened images) on a T4 (4 GPUs
# for the sharding plans), and timed for real on this CPU beside the prediction.
input=$(python -c "import json,sys; d=json.load(open(sys.argv[1])); print('x'.join(map(str, [d['batch_size'], *d['input_shape']])))" "$ladder/model.json")
step profile archwise profile "$ladder/model.json" --input "$input" --train --device t4 --gpus 4 --measure --json "> $out/profile.json"
archwise profile "$ladder/model.json" --input "$input" --train --device t4 --gpus 4 --measure --json > "$out/profile.json"

# archwise check exits 1 when it finds an error; the report shows the findings either way.
step check archwise check "$ladder/model.json" --input "$input" --modality image --samples 1169 --device t4 --format json "> $out/check.json"
archwise check "$ladder/model.json" --input "$input" --modality image --samples 1169 --device t4 \
  --format json > "$out/check.json" || [ $? -eq 1 ]

epochs="${ARCHWISE_DEMO_EPOCHS:-15}"
step monitor python examples/train_recommended.py "$ladder" "$out/run.jsonl" --epochs "$epochs"
python examples/train_recommended.py "$ladder" "$out/run.jsonl" --epochs "$epochs"

step report archwise report "$out/design.json" "$ladder" "$out/profile.json" "$out/check.json" "$out/run.jsonl" --out "$out/report.html"
archwise report "$out/design.json" "$ladder" "$out/profile.json" "$out/check.json" "$out/run.jsonl" \
  --title "archwise on digits, end to end" --out "$out/report.html"
step end
printf '\nmake demo: %d s. Open %s in a browser.\n' "$((SECONDS - start))" "$(cd "$(dirname "$out/report.html")" && pwd)/report.html"
