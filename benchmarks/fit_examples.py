"""Worked examples of the hardware verdict, measured end to end.

1. Llama-3-70B, batch 1 × 4096 tokens, bf16-mixed AdamW, on H100s under ZeRO-3: the full training
   breakdown and the fewest GPUs, through the CLI in its own process (wall time, peak RSS).
2. The seed's GPT-3 example ("175B parameters: 2.8 TB, 35 A100s") redone: the same config
   simulated (1 × 2048 tokens, bf16-mixed AdamW) and fitted on A100-80GB under ZeRO-3.
3. The seed's ResNet-50 example ("batch 32: 400 MB, fits easily on a 4GB GPU") redone: simulated
   for a GPU, fitted on 4 GB, and checked against the same step run for real on this CPU.

    python benchmarks/fit_examples.py        # prints, and writes benchmarks/results/fit_examples.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import torch  # noqa: E402
import transformers  # noqa: E402

import archwise  # noqa: E402
from benchmarks._process import archwise_json  # noqa: E402
from archwise.profile.fit import per_gpu_bytes  # noqa: E402
from archwise.profile.measure import measure_training_peak  # noqa: E402

transformers.logging.set_verbosity_error()
GiB = 2**30
LLAMA3_70B = {"hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80, "num_attention_heads": 64,
              "num_key_value_heads": 8, "vocab_size": 128256}
GPT3 = {"n_embd": 12288, "n_layer": 96, "n_head": 96, "n_positions": 2048, "vocab_size": 50257}


def llama(checkpointing: bool) -> dict:
    args = ["profile", "hf:LlamaForCausalLM", "--input", "int64:1x4096", "--config", json.dumps(LLAMA3_70B), "--train",
            "--precision", "bf16-mixed", "--optimizer", "adamw", "--device", "h100-sxm", "--sharding", "zero3", "--gpus",
            "8", "--no-batch-search", "--json"] + (["--checkpointing"] if checkpointing else [])
    run = archwise_json(args)
    report = run.pop("report")
    zero3 = next(p for p in report["fit"]["plans"] if p["strategy"] == "zero3")
    return {**run, "checkpointing": checkpointing, "training": report["memory"]["training"],
            "fewest_h100s_zero3": zero3["fewest_gpus"], "remedies": report["fit"]["remedies"],
            "params": report["params"]["total"]}


def gpt3() -> dict:
    with torch.device("meta"):
        model = transformers.GPT2LMHeadModel(transformers.GPT2Config(**GPT3))
    params = sum(p.numel() for p in model.parameters())
    out = {"params": params, "seed": {"total_tb": 2.8, "a100s": 35}}
    for checkpointing in (False, True):
        r = archwise.fit(model, ["int64:1x2048"], device="a100-80gb", precision="bf16-mixed", sharding="zero3", gpus=64,
                         checkpointing=checkpointing, search_batch=False)
        m = r.memory
        zero3 = next(p for p in r.plans if p.strategy == "zero3")
        out["checkpointing" if checkpointing else "plain"] = {
            "states_bytes": m.weights + m.phases["optimizer"]["gradients"] + m.optimizer_state,
            "peak_bytes": m.peak_bytes, "phases": m.phases, "fewest_a100_80gb_zero3": zero3.fewest_gpus,
            "per_gpu_at_fewest": None if zero3.fewest_gpus is None else per_gpu_bytes(
                m, "zero3", zero3.fewest_gpus, 4 * params, _unit(model)) + r.required_bytes - m.peak_bytes,
        }
    return out


def _unit(model: torch.nn.Module) -> tuple[int, int]:
    from archwise.profile._step import checkpoint_blocks

    numel = max(sum(p.numel() for p in b.parameters()) for b in checkpoint_blocks(model))
    return 2 * numel, 4 * numel


def resnet50(measure: bool) -> dict:
    cls = transformers.ResNetForImageClassification
    config = cls.config_class(num_labels=1000)
    with torch.device("meta"):
        meta = cls(config)
    inputs = ["32x3x224x224"]
    sim_gpu = archwise.simulate_training(meta, inputs, optimizer="adam", target="gpu")
    fit = archwise.fit(meta, inputs, memory="4GB", optimizer="adam", search_batch=True)
    out = {"seed": {"total_mb": 400, "activations_mb": 0.4}, "simulated_gpu": sim_gpu.to_dict(),
           "fit_4gb": {"fits": fit.fits, "required_bytes": fit.required_bytes, "max_batch_size": fit.max_batch_size}}
    if measure:
        torch.manual_seed(0)
        model = cls(config)
        sim_cpu = archwise.simulate_training(model, inputs, optimizer="adam")
        start = time.perf_counter()
        out["measured_cpu_bytes"] = measure_training_peak(model, inputs, optimizer="adam")
        out["measured_cpu_s"] = time.perf_counter() - start
        out["simulated_cpu_bytes"] = sim_cpu.peak_bytes
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "results" / "fit_examples.json"))
    parser.add_argument("--no-measure", action="store_true", help="skip the real ResNet-50 step on this CPU")
    args = parser.parse_args()
    result = {"llama_70b": [llama(False), llama(True)], "gpt3": gpt3(), "resnet50": resnet50(not args.no_measure)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(markdown(result))


def markdown(r: dict) -> str:
    lines = []
    for run in r["llama_70b"]:
        t = run["training"]
        parts = ", ".join(f"{k.replace('_', ' ')} {t[k] / GiB:,.1f} GiB" for k in
                          ("weights", "weight_copies", "gradients", "optimizer_state", "activations", "transient"))
        fewest = run["fewest_h100s_zero3"]
        lines.append(f"Llama-3-70B 1×4096 bf16-mixed AdamW{' + checkpointing' if run['checkpointing'] else ''}: "
                     f"peak {t['peak_bytes'] / GiB:,.1f} GiB in the {t['peak_phase']} ({parts}); fewest H100s under "
                     f"ZeRO-3: {fewest if fewest else 'none'}; {run['wall_s']:.1f} s, {run['peak_rss_mb']:,.0f} MB RSS.")
    g = r["gpt3"]
    for key, label in (("plain", ""), ("checkpointing", " with checkpointing")):
        x = g[key]
        lines.append(f"GPT-3 ({g['params'] / 1e9:.1f}B){label}: states {x['states_bytes'] / 1e12:.2f} TB; step peak "
                     f"{x['peak_bytes'] / 1e12:.2f} TB; fewest A100-80GB under ZeRO-3: "
                     f"{x['fewest_a100_80gb_zero3'] or 'none'} (the seed: 2.8 TB, 35).")
    n = r["resnet50"]
    sim = n["simulated_gpu"]
    lines.append(f"ResNet-50 batch 32 fp32 Adam: simulated peak {sim['peak_bytes'] / GiB:.2f} GiB (activations "
                 f"{sim['activations'] / GiB:.2f} GiB) against the seed's 400 MB; on a 4 GB GPU it "
                 f"{'fits' if n['fit_4gb']['fits'] else 'does not fit'} (largest batch {n['fit_4gb']['max_batch_size']})"
                 + (f"; measured on this CPU {n['measured_cpu_bytes'] / GiB:.2f} GiB, simulated for the CPU "
                    f"{n['simulated_cpu_bytes'] / GiB:.2f} GiB." if "measured_cpu_bytes" in n else "."))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
