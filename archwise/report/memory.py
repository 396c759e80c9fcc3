"""Render memory simulations, the fit verdict and the device catalog. Rendering only."""

from __future__ import annotations

from collections.abc import Iterable

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..devices import Device
from ..profile.fit import FitReport
from ..profile.latency import LatencyReport
from ..profile.memory import InferenceMemory, TrainingMemory

__all__ = ["fmt_bytes", "fmt_int", "render_training", "render_inference", "render_fit", "render_devices", "render_latency"]

_LABELS = {
    "weights": "weights and buffers",
    "weight_copies": "weight copies (autocast)",
    "gradients": "gradients",
    "optimizer_state": "optimizer state",
    "activations": "activations saved for backward",
    "transient": "transient (inputs, outputs, temporaries)",
}


def fmt_int(n: float) -> str:
    """1234567 → "1.23M" for messages."""
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:,.0f}" if float(n).is_integer() else f"{n:.3g}"


def fmt_bytes(n: int | float | None) -> str:
    """Binary units with three significant digits: ``1.23 GiB``, ``426 MiB``, ``512 B``.

    Example:
        >>> fmt_bytes(24 * 2**30), fmt_bytes(1536), fmt_bytes(100)
        ('24.0 GiB', '1.50 KiB', '100 B')
    """
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            if unit == "B":
                return f"{int(value)} B"
            digits = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0
            return f"{value:.{digits}f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "—"


def render_training(m: TrainingMemory) -> RenderableType:
    table = Table(box=box.SIMPLE_HEAD, show_footer=True, pad_edge=False, title_justify="left",
                  title=f"Training memory: one steady-state step · {m.optimizer} · {m.precision}"
                        f"{' · checkpointing' if m.checkpointing else ''} · {m.target} kernels")
    table.add_column("part of the peak", footer="peak")
    table.add_column("bytes", justify="right", footer=f"{m.peak_bytes:,}", no_wrap=True)
    table.add_column("", justify="right", footer=fmt_bytes(m.peak_bytes), no_wrap=True)
    table.add_column("share", justify="right", footer="100.0 %" if m.peak_bytes else "—", no_wrap=True)
    for name, value in m.parts().items():
        if value or name != "weight_copies":
            table.add_row(_LABELS[name], f"{value:,}", fmt_bytes(value), _share(value, m.peak_bytes))
    phases = " · ".join(f"{phase} {fmt_bytes(sum(parts.values()))}" for phase, parts in m.phases.items())
    return Group(table, Text(f"The peak comes during the {m.peak_phase}. Each phase's peak: {phases}.", style="dim"),
                 *_notes(m.notes))


def render_inference(m: InferenceMemory) -> RenderableType:
    copies = f" + autocast's weight copies {fmt_bytes(m.weight_copies)}" if m.weight_copies else ""
    line = (f"Inference memory ({m.precision}, no_grad): peak {fmt_bytes(m.peak_bytes)} = weights "
            f"{fmt_bytes(m.weights)}{copies} + activations {fmt_bytes(m.activations)}")
    if m.kv_cache_bytes:
        line += f"; the key/value cache it returns is {fmt_bytes(m.kv_cache_bytes)}"
    return Group(Text(line), *_notes(m.notes))


def render_fit(r: FitReport) -> RenderableType:
    verdict = "fits" if r.fits else "does not fit"
    head = Text.assemble(
        (f"Fit on {r.device_title} ({r.mode}): ", "bold"), (verdict, "bold green" if r.fits else "bold red"),
        f" · usable {fmt_bytes(r.usable_bytes)} = {fmt_bytes(r.capacity_bytes)} less {r.headroom:.0%} headroom",
    )
    table = Table(box=box.SIMPLE_HEAD, show_footer=True, pad_edge=False)
    table.add_column("line", footer="required on one GPU" if r.lines[1:] else "required")
    table.add_column("bytes", justify="right", footer=fmt_bytes(r.required_bytes), no_wrap=True)
    table.add_column("source", overflow="fold")
    for line in r.lines:
        table.add_row(line.name, fmt_bytes(line.bytes), line.source)
    parts: list[RenderableType] = [head, table]
    if r.sharding:
        parts.append(Text(f"With {r.sharding} over {r.gpus} GPUs: {fmt_bytes(r.per_gpu_bytes)} per GPU."))
    if r.max_batch_size is None:
        parts.append(Text(f"Largest batch that fits: none (batch {r.batch_size} asked; not even 1 fits)."))
    else:
        parts.append(Text(f"Largest batch that fits: {r.max_batch_size:,} (batch {r.batch_size} asked)."))
    if r.remedies:
        remedies = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="What would make it fit, in the seed's order",
                         title_justify="left")
        remedies.add_column("remedy")
        remedies.add_column("how")
        remedies.add_column("per GPU after", justify="right", no_wrap=True)
        remedies.add_column("fits", justify="center")
        for remedy in r.remedies:
            remedies.add_row(remedy.name, remedy.detail, fmt_bytes(remedy.required_bytes),
                             "yes" if remedy.fits else "no")
        parts.append(remedies)
    if r.plans and (r.gpus > 1 or r.sharding or not r.fits):
        plans = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=f"Per GPU over {r.gpus} GPU(s), by strategy",
                      title_justify="left")
        for title in ("strategy", "per GPU", "fits", "fewest GPUs that fit"):
            plans.add_column(title, justify="left" if title == "strategy" else "right", no_wrap=True)
        for p in r.plans:
            plans.add_row(p.strategy, fmt_bytes(p.per_gpu_bytes), "yes" if p.fits else "no",
                          f"{p.fewest_gpus:,}" if p.fewest_gpus else "none")
        parts.append(plans)
    parts += _notes(r.notes)
    return Group(*parts)


def fmt_time(seconds: float | None) -> str:
    """``0.00123`` → ``1.23 ms``.

    Example:
        >>> fmt_time(0.00123), fmt_time(2.5), fmt_time(None)
        ('1.23 ms', '2.50 s', '—')
    """
    if seconds is None:
        return "—"
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if seconds >= scale or unit == "µs":
            v = seconds / scale
            digits = 2 if v < 10 else 1 if v < 100 else 0
            return f"{v:.{digits}f} {unit}"
    return f"{seconds} s"  # pragma: no cover


def render_latency(r: LatencyReport, top: int = 5) -> RenderableType:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left",
                  title=f"Latency on {r.device}, batch {r.batch_size}")
    for title in ("", "forward", "training step"):
        table.add_column(title, justify="left" if not title else "right", no_wrap=True)
    table.add_row("predicted", fmt_time(r.forward_s), fmt_time(r.train_step_s))
    if r.measured_forward_s is not None:
        if r.local_forward_s is not None and r.device != "cpu":
            table.add_row("predicted for this CPU", fmt_time(r.local_forward_s), fmt_time(r.local_train_step_s))
        table.add_row("measured on this CPU", fmt_time(r.measured_forward_s), fmt_time(r.measured_train_step_s))
        local = r.local_forward_s if r.local_forward_s is not None else (r.forward_s if r.device == "cpu" else None)
        if local:
            table.add_row("error of the CPU prediction", f"{100 * (local / r.measured_forward_s - 1):+.1f} %",
                          f"{100 * ((r.local_train_step_s or r.train_step_s) / r.measured_train_step_s - 1):+.1f} %"
                          if r.measured_train_step_s else "—")
    parts: list[RenderableType] = [table]
    if r.forward_s:
        rate = f"{r.throughput:,.0f}" if r.throughput >= 100 else f"{r.throughput:.3g}"
        parts.append(Text(f"Throughput {rate} samples/s (inference); "
                          f"{r.compute_bound_share:.0%} of the forward is compute-bound."))
        slow = sorted(r.per_layer, key=lambda x: -(x.forward_s + x.backward_s))[:top]
        parts.append(Text("Slowest: " + ", ".join(f"{x.path or '(model)'} {fmt_time(x.forward_s + x.backward_s)}"
                                                  for x in slow), style="dim"))
    parts += _notes(r.notes)
    return Group(*parts)


def render_devices(devices: Iterable[Device], sources: bool = False) -> RenderableType:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for title, justify in (("name", "left"), ("device", "left"), ("memory", "right"), ("fp32", "right"),
                           ("bf16", "right"), ("fp16", "right"), ("bandwidth", "right")):
        table.add_column(title, justify=justify, no_wrap=title != "device")
    if sources:
        table.add_column("sources", overflow="fold")
    for d in devices:
        def tflops(dtype: str) -> str:
            v = d.peak_flops.get(dtype)
            return f"{v / 1e12:.1f} TFLOP/s" if v else "—"

        row = [d.name, d.title, fmt_bytes(d.memory_bytes), tflops("fp32"), tflops("bf16"), tflops("fp16"),
               f"{d.bandwidth / 1e9:,.0f} GB/s" if d.bandwidth else "—"]
        if sources:
            row.append("; ".join(f"{k}: {v}" for k, v in d.sources.items()))
        table.add_row(*row)
    return table


def _notes(notes: Iterable[str]) -> list[Text]:
    return [Text(f"note: {note}", style="yellow") for note in notes]
