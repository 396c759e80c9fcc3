"""archwise profile beside torchinfo, fvcore and ptflops: params, forward MACs, time, peak memory.

Every (tool, model) pair runs in a fresh Python process, so its peak RSS is its own. The other
tools need the model built with real weights on the CPU; archwise builds it on the meta device,
as its CLI does. "time" is the tool's own call (the model already built); "peak RSS" is the whole
process, weights included. The reference is the published figure (torchvision's documentation)
or a hand formula computed here, and the error column is against it.

    python benchmarks/profile_vs_anchors.py            # table + benchmarks/results/profile_vs_anchors.json
    python benchmarks/profile_vs_anchors.py --quick    # two small models only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TOOLS = ["archwise", "torchinfo", "fvcore", "ptflops"]

IMAGENET = {"num_labels": 1000}
LLAMA3_70B = {"hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80, "num_attention_heads": 64,
              "num_key_value_heads": 8, "vocab_size": 128256}


def _transformer_macs(layers: int, d: int, ffn: int, t: int, extra: int = 0) -> int:
    """Per layer: Q, K, V, O projections (4·d²) and the feed-forward (2·d·ffn) per token, plus
    Q·Kᵀ and A·V (2·t²·d)."""
    return layers * (t * (4 * d * d + 2 * d * ffn) + 2 * t * t * d) + extra


def _llama_macs(c: dict, t: int) -> int:
    """Every weight matrix but the embedding multiplies each token once; Q·Kᵀ and A·V add 2·t²·d per layer."""
    d, layers = c["hidden_size"], c["num_hidden_layers"]
    kv = c["num_key_value_heads"] * d // c["num_attention_heads"]  # width of the k and v projections
    per_layer = 2 * d * d + 2 * d * kv + 3 * d * c["intermediate_size"]  # q, o; k, v; gate, up, down
    return t * (layers * per_layer + d * c["vocab_size"]) + layers * 2 * t * t * d


MODELS = {
    # name: (builder spec, input, params reference, MACs reference, where the references come from)
    "ResNet-18": (("hf", "ResNetForImageClassification", {**IMAGENET, "layer_type": "basic", "depths": [2, 2, 2, 2],
                                                         "hidden_sizes": [64, 128, 256, 512]}),
                  "1x3x224x224", 11_689_512, 1.814e9, "torchvision docs"),
    "ResNet-50": (("hf", "ResNetForImageClassification", IMAGENET), "1x3x224x224", 25_557_032, 4.089e9, "torchvision docs"),
    "MobileNetV2": (("hf", "MobileNetV2ForImageClassification", IMAGENET), "1x3x224x224", 3_504_872, 0.301e9,
                    "torchvision docs"),
    "ViT-B/16": (("hf", "ViTForImageClassification", IMAGENET), "1x3x224x224", 86_567_656, 17.56e9, "torchvision docs"),
    "BERT-base": (("hf", "BertModel", {}), "int64:1x128", 109_482_240,
                  _transformer_macs(12, 768, 3072, 128, extra=768 * 768), "model card; hand formula"),
    "GPT-2": (("hf", "GPT2LMHeadModel", {}), "int64:1x128", 124_439_808,
              _transformer_macs(12, 768, 3072, 128, extra=128 * 768 * 50257), "model card; hand formula"),
    "LSTM 2×256, T=100": (("lstm", 64, 256, 2), "8x100x64", 4 * 256 * (64 + 256 + 2) + 4 * 256 * (256 + 256 + 2),
                          8 * 100 * 4 * 256 * ((64 + 256) + (256 + 256)), "hand formula"),
    "Llama-3-70B": (("hf", "LlamaForCausalLM", LLAMA3_70B), "int64:1x4096", 70_553_706_496,
                    _llama_macs(LLAMA3_70B, 4096), "Meta's config; hand formula"),
}
QUICK = ["ResNet-18", "LSTM 2×256, T=100"]
WEIGHTS_TOO_BIG = {"Llama-3-70B"}  # 282 GB of float32 weights: only the meta device can hold it


# --- the child process: build one model, run one tool -------------------------------------------
def _build(spec, device: str):
    import torch

    with torch.device(device):
        if spec[0] == "hf":
            import transformers

            transformers.logging.set_verbosity_error()
            cls = getattr(transformers, spec[1])
            return cls(cls.config_class(**spec[2]))
        _, inp, hidden, layers = spec
        return torch.nn.LSTM(inp, hidden, layers, batch_first=True)


def _input(text: str):
    import torch

    from archwise import parse_input

    s = parse_input(text)
    return s.real() if s.dtype != torch.int64 else torch.zeros(s.shape, dtype=torch.int64)


def child(tool: str, model_name: str) -> dict:
    import resource
    import warnings

    import torch

    warnings.filterwarnings("ignore")
    spec, text, *_ = MODELS[model_name]
    model = _build(spec, "meta" if tool == "archwise" else "cpu")
    params = macs = None
    start = time.perf_counter()
    if tool == "archwise":
        import archwise

        p = archwise.profile(model, [text])
        params, macs = p.params.total, p.macs_forward
    elif tool == "torchinfo":
        import torchinfo

        s = torchinfo.summary(model, input_data=[_input(text)], verbose=0)
        params, macs = s.total_params, s.total_mult_adds
    elif tool == "fvcore":
        from fvcore.nn import FlopCountAnalysis, parameter_count

        analysis = FlopCountAnalysis(model, (_input(text),))
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        macs = int(analysis.total())  # fvcore's "flops" are multiply-accumulates
        params = parameter_count(model)[""]
    elif tool == "ptflops":
        import ptflops

        x = _input(text)
        macs, params = ptflops.get_model_complexity_info(
            model, tuple(x.shape), input_constructor=lambda _: x,
            as_strings=False, print_per_layer_stat=False, verbose=False, backend="pytorch")
        if macs is None:  # ptflops reports its own failures by returning None
            raise RuntimeError("ptflops returned no result (it failed on this model)")
    elapsed = time.perf_counter() - start
    del torch
    return {"params": params, "macs": macs, "time_s": elapsed,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


# --- the parent: run every pair in its own process ----------------------------------------------
def run_pair(tool: str, model_name: str, timeout: int = 900) -> dict:
    if tool != "archwise" and model_name in WEIGHTS_TOO_BIG:
        return {"status": "not run", "reason": "needs its weights in memory (282 GB)"}
    cmd = [sys.executable, __file__, "--child", tool, model_name]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return {"status": "failed", "reason": f"timed out after {timeout} s"}
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        last = (err.strip().splitlines() or ["?"])[-1]
        return {"status": "failed", "reason": last[:200]}
    row = json.loads(out.strip().splitlines()[-1])
    row.update(status="ok", process_wall_s=wall)
    return row


def llama_cli() -> dict:
    """The issue's target: `archwise profile hf:LlamaForCausalLM` with the 70B config, end to end,
    in its own process (imports included)."""
    sys.path.insert(0, str(HERE.parent))
    from benchmarks._process import archwise_json

    run = archwise_json(["profile", "hf:LlamaForCausalLM", "--input", "int64:1x4096", "--config",
                         json.dumps(LLAMA3_70B), "--json"])
    data = run.pop("report")
    return {"command": "profile hf:LlamaForCausalLM --input int64:1x4096 --config '<Llama-3-70B>'", **run,
            "params": data["params"]["total"], "macs": data["macs"]["forward"], "method": data["method"]}


def _fmt(v, kind: str) -> str:
    if v is None:
        return "—"
    if kind == "params":
        return f"{v:,}"
    if kind == "macs":
        return f"{v / 1e9:,.3f} G"
    return f"{v:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("TOOL", "MODEL"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(RESULTS / "profile_vs_anchors.json"))
    parser.add_argument("--render", metavar="JSON", help="print the README tables from a saved result")
    args = parser.parse_args()
    if args.render:
        print(markdown(json.loads(Path(args.render).read_text())))
        return
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    names = QUICK if args.quick else list(MODELS)
    rows = []
    for name in names:
        spec, text, ref_params, ref_macs, source = MODELS[name]
        for tool in TOOLS:
            r = run_pair(tool, name)
            r.update(model=name, tool=tool, input=text, ref_params=ref_params, ref_macs=ref_macs, ref_source=source)
            if r.get("status") == "ok" and ref_macs and r.get("macs") is not None:
                r["macs_error_pct"] = 100 * (r["macs"] - ref_macs) / ref_macs
            rows.append(r)
            print(f"{name:20s} {tool:10s} {r.get('status')} {_fmt(r.get('params'), 'params'):>16s} "
                  f"{_fmt(r.get('macs'), 'macs'):>12s} {_fmt(r.get('time_s'), 't'):>7s}s "
                  f"{_fmt(r.get('peak_rss_mb'), 'm'):>9s} MB {r.get('reason', '')}", flush=True)
    llama = None if args.quick else llama_cli()
    result = {
        "benchmark": "profile_vs_anchors",
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(), "platform": platform.platform()},
        "rows": rows,
        "llama_70b_cli": llama,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(markdown(result))


def _macs(v: float) -> str:
    return f"{v / 1e12:,.1f} T" if v >= 1e12 else f"{v / 1e9:.3f} G"


def _reason(r: dict) -> str:
    text = r.get("reason", "")
    if "JIT inputs/outputs" in text:
        text = "its jit trace rejects dict inputs"
    return f"{r.get('status', '—')}: {text[:60]}"


def _by_model(result: dict) -> dict[str, dict[str, dict]]:
    by_model: dict[str, dict[str, dict]] = {}
    for r in result["rows"]:
        by_model.setdefault(r["model"], {})[r["tool"]] = r
    return by_model


def macs_table(result: dict) -> str:
    """The README's table of forward MACs, each with its error against the reference."""
    lines = ["| model | reference | " + " | ".join(TOOLS) + " |", "|---|---:|" + "---:|" * len(TOOLS)]
    for model, tools in _by_model(result).items():
        ref = next(iter(tools.values()))
        ref_macs = f"{_macs(ref['ref_macs'])} ({ref['ref_source']})" if ref["ref_macs"] else "—"
        cells = []
        for tool in TOOLS:
            r = tools.get(tool, {})
            if r.get("status") != "ok":
                cells.append(_reason(r))
                continue
            err = f" ({r['macs_error_pct']:+.2f} %)" if "macs_error_pct" in r else ""
            cells.append(f"{_macs(r['macs'])}{err}")
        lines.append(f"| {model} | {ref_macs} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cost_table(result: dict) -> str:
    """The README's table of each tool's call time and its process's peak RSS."""
    lines = ["| model | " + " | ".join(TOOLS) + " |", "|---|" + "---:|" * len(TOOLS)]
    for model, tools in _by_model(result).items():
        cells = []
        for tool in TOOLS:
            r = tools.get(tool, {})
            cells.append(f"{r['time_s']:.2f} s · {r['peak_rss_mb']:,.0f} MB" if r.get("status") == "ok" else "—")
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(result: dict) -> str:
    """Both README tables (forward MACs against the reference; time and peak RSS) and the
    parameter-count check, all read from the JSON."""
    params_off = [f"{r['tool']} on {r['model']} ({r['params']:,} against {r['ref_params']:,})"
                  for r in result["rows"] if r.get("status") == "ok" and r["params"] != r["ref_params"]]
    lines = ["Forward MACs (error against the reference):", "", macs_table(result), "",
             "Time of the tool's call · peak RSS of its process:", "", cost_table(result), ""]
    lines.append("Parameter counts match the reference in every successful run"
                 + (", except " + "; ".join(params_off) + "." if params_off else "."))
    llama = result.get("llama_70b_cli")
    if llama:
        lines.append("")
        lines.append(f"`archwise {llama['command']}`, end to end in its own process: {llama['params']:,} parameters, "
                     f"{llama['macs'] / 1e12:.1f} TMACs, {llama['wall_s']:.1f} s, peak RSS {llama['peak_rss_mb']:,.0f} MB.")
    return "\n".join(lines)

if __name__ == "__main__":
    main()
