"""Monitor overhead: training-step time with ``archwise.Monitor`` against a plain loop and a W&B-style logger.

Two small models train on random data on this CPU: a CNN (3 conv + BN + ReLU, linear head, batch
64×3×32×32, SGD with momentum) and a Transformer encoder (2 layers, d_model 128, 4 heads, ReLU
feed-forward modules, GELU head, seq 64, batch 32, AdamW). Each runs five variants of the same loop:

* ``plain``: no monitoring;
* ``Monitor(every=10)``: archwise's default;
* ``Monitor(every=1)``: every step sampled, the worst case (for information);
* ``watch(log="all")``, log_freq 1 and 100: what ``wandb.watch(model, log="all")`` computes,
  reimplemented here (wandb is not installed, and its upload path is left out, so this is a lower
  bound on wandb's own cost): a forward hook on the model that, every log_freq-th forward, takes a
  64-bin ``torch.histc`` plus min/max of every parameter on the host, and a gradient hook on every
  parameter that does the same with its gradient, each histogram copied to Python lists
  (``TorchHistory.log_tensor_stats`` in wandb/integration/torch/wandb_torch.py). log_freq 1 is the
  per-step logging behind the "2.6× slower" figure; 100 is wandb's default.

Every variant trains its own copy of the same model from the same seed on the same batches (the
weights each ends with are compared with the plain loop's). After a warm-up, the variants run in
interleaved rounds of 10 steps (order reversed every other round, so a drifting machine speed
cancels out); each step is timed on its own, from the forward to the end of ``mon.step``. A round's
step time is the median of its unsampled steps and the median of its sampled ones, weighted by their
share (1/every): it counts the sampled steps at their real share and shrugs off a stray slow step.
The overhead is the median over rounds of (variant ÷ plain in the same round) − 1, with the
interquartile range of those ratios as its spread. A step during which this process's threads
waited for a CPU (``/proc/self/task/*/schedstat``) over 5 % of its time is left out: on a shared
machine another job's burst otherwise swamps a 1 % effect. The plain mean of every step per round
is reported beside it, unfiltered. With log_freq 100 a round rarely holds a logged step; the cost of
one is then taken from the run's logged steps (or from log_freq 1's, which do the same work).

    python benchmarks/monitor_overhead.py           # ~3 min: table + benchmarks/results/monitor_overhead.json
    python benchmarks/monitor_overhead.py --quick   # ~30 s, 5 rounds
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

# archwise is imported where a run needs it, so that the README renderer (``readme_table``) imports
# quickly (benchmarks/run_all.py --check, tests/test_bench_tables.py).

VARIANTS = ["plain", "monitor_every10", "monitor_every1", "watch_all_freq1", "watch_all_freq100"]
LABELS = {"plain": "plain loop", "monitor_every10": "Monitor(every=10) (default)",
          "monitor_every1": "Monitor(every=1)", "watch_all_freq1": 'watch(log="all"), log_freq=1',
          "watch_all_freq100": 'watch(log="all"), log_freq=100'}
SEED = 0
N_BATCHES = 4


# ---- models -------------------------------------------------------------------------------------

def build_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))


class TinyTransformer(nn.Module):
    def __init__(self, vocab: int = 1000, seq: int = 64, d_model: int = 128, layers: int = 2, classes: int = 10):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.zeros(seq, d_model))
        layer = nn.TransformerEncoderLayer(d_model, 4, 4 * d_model, dropout=0.1, activation=nn.ReLU(), batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.LayerNorm(d_model), nn.Linear(d_model, d_model), nn.GELU(),
                                  nn.Linear(d_model, classes))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.embed(tokens) + self.pos).mean(dim=1))


def cnn_batches(gen: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(torch.randn(64, 3, 32, 32, generator=gen), torch.randint(0, 10, (64,), generator=gen))
            for _ in range(N_BATCHES)]


def transformer_batches(gen: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(torch.randint(0, 1000, (32, 64), generator=gen), torch.randint(0, 10, (32,), generator=gen))
            for _ in range(N_BATCHES)]


MODELS: dict[str, dict[str, Any]] = {
    "cnn": {"build": build_cnn, "batches": cnn_batches, "input": "64×3×32×32",
            "optimizer": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9), "optimizer_name": "SGD(momentum=0.9)"},
    "transformer": {"build": TinyTransformer, "batches": transformer_batches, "input": "int64 32×64",
                    "optimizer": lambda p: torch.optim.AdamW(p, lr=1e-3), "optimizer_name": "AdamW"},
}


# ---- a wandb.watch(log="all")-style logger ------------------------------------------------------

class WatchAll:
    """What ``wandb.watch(model, log="all", log_freq=N)`` computes on a logged step, without the upload.

    As in wandb's ``TorchHistory``: a forward hook on the model logs every parameter (``.cpu()``),
    and a gradient hook on each parameter logs its gradient; each hook has its own counter and logs
    on every ``log_freq``-th call. Logging a tensor: clone, flatten, upcast to float, drop
    non-finite values, min and max read to the host, a 64-bin ``histc`` between them, the counts
    and bin edges copied to Python lists (what ``wandb.Histogram(np_histogram=...)`` receives).
    """

    BINS = 64

    def __init__(self, model: nn.Module, log_freq: int = 1):
        self.model = model
        self.log_freq = log_freq
        self.params = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        self._param_count = 0
        self._grad_counts = [0] * len(self.params)
        self._handles: list[Any] = []
        self.row: dict[str, Any] = {}
        self.logged = False

    def __enter__(self) -> WatchAll:
        self._handles.append(self.model.register_forward_hook(self._log_parameters))
        for index, (name, p) in enumerate(self.params):
            self._handles.append(p.register_hook(self._grad_hook(index, name)))
        return self

    def __exit__(self, *exc: object) -> bool:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        return False

    def _due(self, count: int) -> tuple[int, bool]:
        count += 1
        return (0, True) if count >= self.log_freq else (count, False)

    def _log_parameters(self, module: nn.Module, args: Any, output: Any) -> None:
        self._param_count, due = self._due(self._param_count)
        if due:
            for name, p in self.params:
                self.log_tensor_stats(p.data.cpu(), "parameters/" + name)

    def _grad_hook(self, index: int, name: str) -> Callable[[torch.Tensor], None]:
        def hook(grad: torch.Tensor) -> None:
            self._grad_counts[index], due = self._due(self._grad_counts[index])
            if due:
                self.log_tensor_stats(grad.data, "gradients/" + name)
        return hook

    def log_tensor_stats(self, tensor: torch.Tensor, name: str) -> None:
        flat = tensor.detach().clone().reshape(-1)
        if flat.dtype not in (torch.float32, torch.float64):
            flat = flat.float()
        if flat.numel() == 0 or (~torch.isfinite(flat)).all().item():
            return
        if not torch.isfinite(flat).all():
            flat = flat[torch.isfinite(flat)]
        tmin, tmax = flat.min().item(), flat.max().item()
        if tmin > tmax:
            tmin, tmax = tmax, tmin
        if tmin == tmax:
            counts, edges = torch.tensor([float(flat.numel())]), torch.tensor([tmin, tmax])
        else:
            counts = flat.histc(bins=self.BINS, min=tmin, max=tmax).cpu().detach().clone()
            edges = torch.linspace(tmin, tmax, steps=self.BINS + 1)
        self.row[name] = (counts.tolist(), edges.tolist())
        self.logged = True

    def step(self, loss: torch.Tensor) -> None:
        self.row = {}


# ---- one variant --------------------------------------------------------------------------------

def keep_heap() -> bool:
    """Ask glibc to keep freed memory in the heap (no mmap/munmap of each large activation buffer).

    With glibc's defaults the CNN's 8 MB activations are mapped and unmapped every step; the page
    faults (millions per run) make a step 15–70 % slower and vary run to run by more than the effect
    measured here. This applies to every variant alike and makes the plain step faster, so the
    overheads come out, if anything, larger. ``--default-malloc`` leaves glibc as it is.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 1 << 30)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30))
    except (OSError, AttributeError):
        return False


def cpu_wait() -> float:
    """Seconds this process's threads have spent runnable but waiting for a CPU (the kernel's run_delay)."""
    total = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 0.0
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as f:
                total += int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            pass
    return total / 1e9


class Variant:
    """A model copy, its optimizer, and the monitoring (if any) around its training steps."""

    def __init__(self, name: str, model: nn.Module, make_optimizer: Callable, batches: list):
        self.name = name
        self.model = model
        self.optimizer = make_optimizer(model.parameters())
        self.batches = batches
        self.done = 0
        self.steps: list[dict[str, Any]] = []  # round, time (s), wait (s, for a CPU), sampled
        self.period = int(name.rsplit("every", 1)[-1].rsplit("freq", 1)[-1]) if name != "plain" else None
        if name.startswith("monitor_every"):
            import archwise

            self.watcher: Any = archwise.Monitor(model, self.optimizer, every=self.period)
        elif name.startswith("watch_all_freq"):
            self.watcher = WatchAll(model, log_freq=self.period)
        else:
            self.watcher = None

    def _was_sampled(self) -> bool:
        if isinstance(self.watcher, WatchAll):
            logged, self.watcher.logged = self.watcher.logged, False
            return logged
        if self.watcher is not None:
            return self.watcher.record.steps[-1].sampled
        return False

    def run(self, steps: int, seed: int, round_index: int | None) -> None:
        """``steps`` training steps; timed and kept when ``round_index`` is given (else a warm-up)."""
        model, opt, batches, watcher = self.model, self.optimizer, self.batches, self.watcher
        torch.manual_seed(seed)  # dropout draws the same masks in every variant
        if watcher is not None:
            watcher.__enter__()
        try:
            for _ in range(steps):
                x, y = batches[self.done % len(batches)]
                waited = cpu_wait()
                start = time.perf_counter()
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                opt.step()
                opt.zero_grad()
                if watcher is not None:
                    watcher.step(loss)
                seconds = time.perf_counter() - start
                waited = cpu_wait() - waited
                self.done += 1
                sampled = self._was_sampled()
                if round_index is not None:
                    self.steps.append({"round": round_index, "time": seconds, "wait": waited, "sampled": sampled})
        finally:
            if watcher is not None:
                watcher.__exit__(None, None, None)


# ---- statistics ---------------------------------------------------------------------------------

CONTENDED = 0.05  # a step whose threads waited for a CPU longer than 5 % of its time is left out


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _clean(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in steps if s["wait"] <= CONTENDED * s["time"]]


def round_figure(steps: list[dict[str, Any]], share: float, sampled_fallback: float | None) -> float | None:
    """A round's step time from its uncontended steps: unsampled and sampled medians, weighted by their share."""
    clean = _clean(steps)
    unsampled = _median([s["time"] for s in clean if not s["sampled"]])
    sampled = _median([s["time"] for s in clean if s["sampled"]])
    if share == 0:
        return unsampled
    if share == 1:
        return sampled
    sampled = sampled if sampled is not None else sampled_fallback
    if unsampled is None or sampled is None:
        return None
    return (1 - share) * unsampled + share * sampled


def summarize(variants: dict[str, Variant], rounds: int) -> dict[str, dict[str, Any]]:
    plain = variants["plain"]
    plain_rounds = [round_figure([s for s in plain.steps if s["round"] == k], 0.0, None) for k in range(rounds)]
    plain_median = _median([s["time"] for s in _clean(plain.steps)])
    plain_raw = [statistics.fmean(s["time"] for s in plain.steps if s["round"] == k) for k in range(rounds)]
    logged_fallback = _median([s["time"] for s in _clean(variants["watch_all_freq1"].steps)]) \
        if "watch_all_freq1" in variants else None
    out = {}
    for name, v in variants.items():
        share = 1 / v.period if v.period else 0.0
        clean = _clean(v.steps)
        sampled_all = _median([s["time"] for s in clean if s["sampled"]])
        fallback, fallback_from = sampled_all, None
        if fallback is None and name.startswith("watch_all") and logged_fallback is not None:
            fallback, fallback_from = logged_fallback, "watch_all_freq1"  # a logged step does the same work
        figures = [round_figure([s for s in v.steps if s["round"] == k], share, fallback) for k in range(rounds)]
        pairs = [(f, p) for f, p in zip(figures, plain_rounds) if f is not None and p is not None]
        ratios = [f / p for f, p in pairs]
        raw = [statistics.fmean(s["time"] for s in v.steps if s["round"] == k) / plain_raw[k] for k in range(rounds)]
        unsampled = _median([s["time"] for s in clean if not s["sampled"]])
        row: dict[str, Any] = {
            "label": LABELS[name], "steps": len(v.steps), "sampled_steps": sum(s["sampled"] for s in v.steps),
            "contended_steps": len(v.steps) - len(clean), "rounds_used": len(ratios),
            "cpu_wait_share": sum(s["wait"] for s in v.steps) / sum(s["time"] for s in v.steps),
            "median_step_ms": 1e3 * statistics.median([f for f, _ in pairs]) if pairs else None,
            "overhead_pct": 100 * (statistics.median(ratios) - 1) if ratios else None,
            "overhead_iqr_pct": [100 * (q - 1) for q in _quartiles(ratios)] if ratios else None,
            "round_ratios": ratios,
            "overhead_raw_pct": 100 * (statistics.median(raw) - 1),
            "unsampled_step_extra_ms": 1e3 * (unsampled - plain_median) if unsampled and plain_median else None,
            "sampled_step_extra_ms": 1e3 * (fallback - plain_median) if fallback and plain_median else None,
            "sampled_cost_from": fallback_from,
        }
        if name == "plain":
            row.update(overhead_pct=0.0, overhead_iqr_pct=[0.0, 0.0], overhead_raw_pct=0.0,
                       unsampled_step_extra_ms=None, sampled_step_extra_ms=None)
        out[name] = row
    return out


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


# ---- the run ------------------------------------------------------------------------------------

def run_model(name: str, rounds: int, steps: int, warmup: int) -> dict[str, Any]:
    spec = MODELS[name]
    torch.manual_seed(SEED)
    base = spec["build"]()
    batches = spec["batches"](torch.Generator().manual_seed(SEED))
    variants = {v: Variant(v, copy.deepcopy(base), spec["optimizer"], batches) for v in VARIANTS}
    for v in variants.values():
        v.run(warmup, seed=SEED + 1000, round_index=None)
    start = time.perf_counter()
    for k in range(rounds):
        order = VARIANTS if k % 2 == 0 else VARIANTS[::-1]
        for v in order:
            variants[v].run(steps, seed=SEED + k, round_index=k)
    wall = time.perf_counter() - start
    plain = variants["plain"].model
    import archwise

    return {
        "model": name, "input": spec["input"], "optimizer": spec["optimizer_name"],
        "params": sum(p.numel() for p in base.parameters()),
        "tensors": sum(1 for _ in base.parameters()),
        "activation_modules": sum(isinstance(m, archwise.train.monitor.RELU_FAMILY + archwise.train.monitor.SATURATING)
                                  for m in base.modules()),
        "timed_wall_s": wall,
        "variants": summarize(variants, rounds),
        "identical_weights_to_plain": {v: same_weights(plain, variants[v].model) for v in VARIANTS[1:]},
    }


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:+.2f} ms"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:+.1f} %"


def markdown(result: dict[str, Any]) -> str:
    lines = ["| model | variant | step time | overhead | IQR over rounds | unsampled step | sampled step (count) | "
             "all steps, round means | steps waiting for a CPU |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for m in result["models"]:
        for key in VARIANTS:
            r = m["variants"][key]
            step = "—" if r["median_step_ms"] is None else f"{r['median_step_ms']:.2f} ms"
            busy = f"{r['contended_steps']}/{r['steps']}"
            if key == "plain":
                lines.append(f"| {m['model']} | {r['label']} | {step} | — | — | — | — | — | {busy} |")
                continue
            iqr = "—" if r["overhead_iqr_pct"] is None else \
                f"{r['overhead_iqr_pct'][0]:+.1f} … {r['overhead_iqr_pct'][1]:+.1f} %"
            sampled = f"{_ms(r['sampled_step_extra_ms'])} ({r['sampled_steps']}" + \
                (f"; cost from {r['sampled_cost_from']})" if r["sampled_cost_from"] else ")")
            lines.append(f"| {m['model']} | {r['label']} | {step} | **{_pct(r['overhead_pct'])}** | {iqr} | "
                         f"{_ms(r['unsampled_step_extra_ms'])} | {sampled} | {_pct(r['overhead_raw_pct'])} | {busy} |")
    s = result["settings"]
    lines.append("")
    lines.append(f"{s['rounds']} rounds × {s['steps_per_round']} steps per variant after {s['warmup_steps']} warm-up "
                 f"steps, {s['threads']} threads, torch {result['machine']['torch']}, {result['machine']['cpu']} "
                 f"({result['machine']['cpu_count']} CPUs), malloc: {s.get('malloc', 'default')}. Unsampled/sampled "
                 f"step: median extra time over the plain loop's median step; steps whose threads waited for a CPU "
                 f"over {100 * CONTENDED:.0f} % of their time are left out of every figure but the round means.")
    for m in result["models"]:
        same = m["identical_weights_to_plain"]
        lines.append(f"{m['model']}: {m['params']:,} parameters in {m['tensors']} tensors, {m['activation_modules']} "
                     f"hooked activation modules, {m['optimizer']}; "
                     f"weights after training identical to the plain loop's: "
                     + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in same.items()) + ".")
    for m in result["models"]:
        short = [k for k, r in m["variants"].items() if r["rounds_used"] < max(3, s["rounds"] // 2)]
        if short:
            lines.append(f"WARNING {m['model']}: the machine was busy; too few clean rounds for {', '.join(short)}.")
    return "\n".join(lines)


README_MODELS = {"cnn": "CNN", "transformer": "Transformer"}


def _signed(v: float, digits: int = 1) -> str:
    """+0.6, −0.5: with a typographic minus, as the README writes them."""
    return f"{v:+.{digits}f}".replace("-", "−")


def readme_table(result: dict[str, Any]) -> str:
    """The README's table: per model, the plain step time and each variant's overhead (the default
    Monitor's with the interquartile range over rounds)."""
    lines = ["| model | plain step | Monitor every=10 | Monitor every=1 | watch-style, every step | "
             "watch-style, every 100 |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for m in result["models"]:
        v = m["variants"]
        plain = v["plain"]["median_step_ms"]
        cells = [README_MODELS.get(m["model"], m["model"]), "—" if plain is None else f"{plain:.2f} ms"]
        for key in VARIANTS[1:]:
            pct, iqr = v[key]["overhead_pct"], v[key]["overhead_iqr_pct"]
            if pct is None:
                cells.append("—")
            elif key == "monitor_every10":
                cells.append(f"**{_signed(pct)} %**" + (f" (IQR {_signed(iqr[0])} … {_signed(iqr[1])})" if iqr else ""))
            else:
                cells.append(f"{_signed(pct)} %")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds instead of 21 (about 30 s)")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved variants (21; 5 with --quick)")
    parser.add_argument("--steps", type=int, default=10, help="steps per variant per round (10); keep a multiple "
                                                              "of 10 so every round holds the same Monitor samples")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--default-malloc", action="store_true", help="leave glibc's mmap threshold as it is "
                                                                     "(noisier CNN timings; see keep_heap)")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--out", default=str(HERE / "results" / "monitor_overhead.json"))
    parser.add_argument("--render", metavar="JSON", help="print the table from a saved result")
    args = parser.parse_args()
    if args.render:
        saved = json.loads(Path(args.render).read_text())
        print(markdown(saved) + "\n\n" + readme_table(saved))
        return
    rounds = args.rounds or (5 if args.quick else 21)
    steps = args.steps
    warmup = 5 if args.quick else 15  # a multiple of 10 plus 5: samples fall mid-round, not on a round's first step
    torch.set_num_threads(args.threads)
    heap_kept = False if args.default_malloc else keep_heap()
    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    start = time.perf_counter()
    models = []
    for name in args.models:
        models.append(run_model(name, rounds, steps, warmup))
        m = models[-1]
        plain = m["variants"]["plain"]["median_step_ms"]
        print(f"{name}: plain {'—' if plain is None else f'{plain:.2f}'} ms/step; "
              + "; ".join(f"{k} {_pct(m['variants'][k]['overhead_pct'])}" for k in VARIANTS[1:])
              + f" ({m['timed_wall_s']:.0f} s)", flush=True)
    result = {
        "benchmark": "monitor_overhead",
        "settings": {"rounds": rounds, "steps_per_round": steps, "warmup_steps": warmup, "threads": args.threads,
                     "quick": bool(args.quick), "seed": SEED,
                     "order": "variants interleaved, reversed every other round",
                     "contended_if_cpu_wait_over": CONTENDED,
                     "malloc": "glibc, mmap and trim thresholds 1 GiB" if heap_kept else "default"},
        "machine": {"cpu": cpu_name(), "cpu_count": os.cpu_count(), "torch": torch.__version__,
                    "python": platform.python_version(), "platform": platform.platform(),
                    "loadavg_1min_start": load_start,
                    "loadavg_1min_end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None},
        "target": "Monitor(every=10) overhead ≤ 3 % of step time",
        "models": models,
        "wall_s": time.perf_counter() - start,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print()
    print(markdown(result))
    print()
    print(readme_table(result))


if __name__ == "__main__":
    main()
