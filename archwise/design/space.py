"""The candidates sizing searches: for each family the tree can pick, a grid of depths, widths and
(for CNNs) stage layouts, kept inside the seed's bands so that no candidate is one the linter
would flag (depth ≤ 50, widths ≤ 512 for shallow nets, channels doubling per stage, skip
connections past 10 layers, normalisation in deep nets).

A candidate is a registered builder (``archwise.design.zoo``) and its keyword arguments; its
parameter count comes from the builder's closed-form formula, so the whole grid is ranked before
anything is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import ArchwiseError
from ..problem import Modality, ProblemSpec, Task
from .decide import Decision
from .zoo import arch_params

__all__ = ["Candidate", "candidates", "shape_kwargs", "spec_inputs", "graph_size"]


@dataclass(frozen=True)
class Candidate:
    """One model sizing can choose: a builder, its sizes, and its parameter count."""

    arch: str  # a registered builder
    size: dict[str, Any]  # what the search varies: depth, width, stages, …
    shape: dict[str, Any] = field(default_factory=dict)  # what the problem fixes: in_chans, num_outputs, …
    label: str = ""  # "ResNet-20 (basic, 3 stages, width 16–64)"
    params: int = 0
    prior: int = 0  # 0: the family's standard layout for this input; higher: less usual (ranks after on ties)

    @property
    def kwargs(self) -> dict[str, Any]:
        return {**self.shape, **self.size}


def graph_size(spec: ProblemSpec) -> tuple[int, int]:
    if spec.nodes is None or spec.edges is None:
        raise ArchwiseError("a graph problem needs the graph's size for memory and latency: give --nodes N and "
                            "--edges M (message passing costs grow with both)")
    return spec.nodes, spec.edges


def spec_inputs(spec: ProblemSpec, batch: int) -> list[Any]:
    """The inputs one forward takes for this problem at ``batch`` (graphs: the whole graph)."""
    shape = spec.input
    assert shape is not None
    m = spec.kind
    if m == Modality.GRAPH:
        nodes, edges = graph_size(spec)
        return [(nodes, shape[0]), f"int64:2x{edges}:0..{nodes}"]
    if m == Modality.TEXT:
        return [f"int64:{batch}x{spec.seq_len}:0..{shape[0]}"]
    if m.sequential:
        return [(batch, spec.seq_len, shape[-1])]
    return [(batch, *shape)]


def _outputs(spec: ProblemSpec) -> int:
    if spec.outputs is not None:
        return spec.outputs
    if spec.task == Task.REGRESSION:
        return 1
    raise ArchwiseError("a classification problem needs its number of classes: give --outputs N "
                        "(or --task regression for a single regression target)")


def shape_kwargs(spec: ProblemSpec) -> dict[str, Any]:
    """The builder arguments the problem fixes."""
    shape = spec.input
    m = spec.kind
    out = {"num_outputs": _outputs(spec)}
    if m == Modality.IMAGE:
        return {**out, "in_chans": shape[0], "img_size": min(shape[1:])}
    if m == Modality.GRAPH:
        nodes, edges = graph_size(spec)
        return {**out, "in_features": shape[0], "num_nodes": nodes, "num_edges": edges}
    if m == Modality.TEXT:
        return {**out, "vocab_size": shape[0], "seq_len": spec.seq_len}
    if m.sequential:
        return {**out, "in_features": shape[-1], "seq_len": spec.seq_len}
    return {**out, "in_features": math.prod(shape)}


def check_input(spec: ProblemSpec) -> None:
    """The sample shape the family needs, or one line saying what to give."""
    m, shape = spec.kind, spec.input
    want = {Modality.IMAGE: "C×H×W, such as --input 3x32x32", Modality.TEXT: "the vocabulary size, such as --input 30000",
            Modality.GRAPH: "the features per node, such as --input 1433", Modality.TABULAR: "the number of features, "
            "such as --input 20"}.get(m, "the features per step, such as --input 8")
    if shape is None:
        raise ArchwiseError(f"design needs the shape of one sample for {m.value} data: give {want}")
    if m == Modality.IMAGE and len(shape) != 3:
        raise ArchwiseError(f"an image sample is C×H×W, found {'x'.join(map(str, shape))}; give {want}")
    if m in (Modality.TEXT, Modality.GRAPH) and len(shape) != 1:
        raise ArchwiseError(f"for {m.value} data --input is {want}, found {'x'.join(map(str, shape))}")
    if m == Modality.IMAGE and min(shape[1:]) < 8:
        raise ArchwiseError(f"images of {shape[1]}×{shape[2]} are too small for a CNN's stages; expected at least "
                            "8×8 (treat smaller inputs as tabular features)")


# ---- the grids, one per family ---------------------------------------------------------------


def _resnet(img: int) -> list[tuple[Any, ...]]:
    out = []
    if img <= 64:  # CIFAR-style: 3×3 stem at full resolution, depth = 2·stages·n + 2 (He et al. 2016, §4.2)
        max_stages = max(2, min(4, int(math.log2(img / 4)) + 1))  # stop at a 4×4 map
        standard = max(2, min(max_stages, round(math.log2(img / 8)) + 1))  # end near an 8×8 map
        for stages in range(2, max_stages + 1):
            for n in (1, 2, 3, 5, 7):
                depth = 2 * stages * n + 2
                if depth > 50:
                    continue
                for width in (8, 16, 32, 64):
                    top = width * 2 ** (stages - 1)
                    if top > 512:
                        continue
                    # The standard CIFAR layout ends on an 8×8 map, ≥ 16 channels, ≥ 14 layers (He et al. 2016).
                    usual = int(stages != standard) + int(width < 16) + int(depth < 14)
                    out.append(("resnet", {"depth": depth, "width": width, "block": "basic", "stages": stages},
                                f"ResNet-{depth} (basic blocks, {stages} stages, width {width}–{top})", usual))
        return out
    for depth, block in ((10, "basic"), (18, "basic"), (34, "basic"), (50, "bottleneck")):
        for width in (16, 32, 64):
            top = width * 8 * (4 if block == "bottleneck" else 1)
            out.append(("resnet", {"depth": depth, "width": width, "block": block, "stages": 4},
                        f"ResNet-{depth} ({block} blocks, 4 stages, width {width}–{top})"))
    return out


def _efficient() -> list[tuple[Any, ...]]:
    out = []
    for wm in (0.25, 0.35, 0.5, 0.75, 1.0, 1.4):
        for dm in (0.5, 1.0):
            out.append(("mobilenetv2", {"width_mult": wm, "depth_mult": dm},
                        f"MobileNetV2 (width ×{wm:g}, depth ×{dm:g})", int(dm != 1.0)))
    for wm in (0.25, 0.5):  # for small data: a 320-channel head conv instead of 1,280 (most of a narrow net's weights)
        for dm in (0.5, 1.0):
            out.append(("mobilenetv2", {"width_mult": wm, "depth_mult": dm, "last_channel": 320},
                        f"MobileNetV2 (width ×{wm:g}, depth ×{dm:g}, head 320)", 1 + int(dm != 1.0)))
    for phi in (-2, -1, 0, 1, 2):
        out.append(("efficientnet", {"phi": float(phi)}, f"EfficientNet (compound φ={phi}: width ×{1.1 ** phi:.2f}, "
                                                          f"depth ×{1.2 ** phi:.2f})"))
    return out


def _vit(img: int) -> list[tuple[Any, ...]]:
    out = []
    patches = [p for p in (4, 8, 14, 16, 32) if img % p == 0 and 4 <= img // p <= 16]
    for patch in patches:
        for d_model, depth in ((192, 12), (384, 12), (768, 12), (1024, 24)):
            heads = d_model // 64
            standard = 16 if img >= 128 else 4  # ViT-B/16 at 224 px; patch 4 for CIFAR-sized images
            out.append(("vit", {"patch": patch, "d_model": d_model, "depth": depth, "heads": heads},
                        f"ViT /{patch} ({depth} blocks × {d_model}, {heads} heads)", int(patch != standard)))
    return out


def _rnn() -> list[tuple[str, dict[str, Any], str]]:
    return [("lstm", {"hidden": h, "layers": n}, f"LSTM ({n} layer{'s' if n > 1 else ''} × {h})")
            for n in (1, 2, 3) for h in (32, 64, 128, 256, 512)]


def _transformer(arch: str, seq_len: int) -> list[tuple[str, dict[str, Any], str]]:
    out = []
    window = {"window": min(256, max(32, seq_len // 16))} if arch == "local_transformer" else {}
    what = "local-attention Transformer" if arch == "local_transformer" else "pre-norm Transformer"
    for depth in (2, 4, 6, 8, 12):
        for d_model in (64, 128, 256, 384, 512, 768):
            heads = max(2, d_model // 64)
            extra = f", window {window['window']}" if window else ""
            out.append((arch, {"d_model": d_model, "depth": depth, "heads": heads, **window},
                        f"{what} ({depth} blocks × {d_model}, {heads} heads{extra})"))
    return out


def _gnn() -> list[tuple[str, dict[str, Any], str]]:
    return [("gcn", {"hidden": h, "layers": n}, f"GCN ({n} layers, hidden {h})")
            for n in (2, 3) for h in (16, 32, 64, 128, 256)]


def _mlp(samples: int | None, mlp_below: int) -> list[tuple[str, dict[str, Any], str]]:
    large = samples is not None and samples > mlp_below
    depths = (2, 3, 4) if large else (1, 2)  # hidden layers: the seed's "small MLP (2–3 layers)" counts the output layer
    widths = (64, 128, 256, 512, 1024) if large else (8, 16, 32, 64, 128, 256, 512)
    return [("mlp", {"hidden": w, "depth": d}, f"MLP ({d} hidden layer{'s' if d > 1 else ''} × {w})")
            for d in depths for w in widths if not (d <= 1 and w > 512)]


def candidates(decision: Decision, spec: ProblemSpec, mlp_below: int = 100_000) -> list[Candidate]:
    """Every candidate for the decided family, with its closed-form parameter count."""
    family = decision.family
    img = min(spec.input[1:]) if spec.kind == Modality.IMAGE else 0
    grid = {
        "cnn": lambda: _resnet(img),
        "efficient_cnn": _efficient,
        "vit": lambda: _vit(img),
        "rnn": _rnn,
        "transformer": lambda: _transformer("transformer", spec.seq_len or 0),
        "local_transformer": lambda: _transformer("local_transformer", spec.seq_len or 0),
        "gnn": _gnn,
        "mlp": lambda: _mlp(spec.samples, mlp_below),
        "linear": lambda: [("linear", {}, "linear model (logistic regression)" if spec.task == Task.CLASSIFICATION
                            else "linear model (linear regression)")],
    }[family]()
    if not grid:
        raise ArchwiseError(f"no {family} candidate suits a {'x'.join(map(str, spec.input))} input; "
                            "for ViT the image side must split into 4–16 patches of 4, 8, 14, 16 or 32 pixels")
    shape = shape_kwargs(spec)
    out = []
    for arch, size, label, *prior in grid:
        kwargs = {k: v for k, v in shape.items() if k in _accepted(arch)}
        out.append(Candidate(arch, size, kwargs, label, arch_params(arch, **kwargs, **size), prior[0] if prior else 0))
    return out


def _accepted(arch: str) -> set[str]:
    from .zoo import get_arch

    return set(get_arch(arch).defaults)
