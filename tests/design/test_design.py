"""archwise.design: the seed's tree branch by branch, sizing against each budget, the rationale,
the self-consistency of what it claims, and emitted code equal to the built model."""

from __future__ import annotations

import ast
import importlib.util
import math

import pytest
import torch

import archwise
from archwise import ProblemSpec
from archwise.design import DesignSettings, TreeThresholds, arch_params
from archwise.errors import ArchwiseError

from .grid import grid, label, verify

IMG = dict(input="3x32x32", outputs=10)


# ---- the decision tree, one spec per branch ------------------------------------------------------
BRANCHES = [
    ("image, general → ResNet", ProblemSpec("image", samples=50_000, device="a100-40gb", **IMG), "cnn", "resnet"),
    ("image, mobile → MobileNet/EfficientNet", ProblemSpec("image", samples=50_000, device="phone-cpu", **IMG),
     "efficient_cnn", None),
    ("image, tight latency → efficient CNN", ProblemSpec("image", samples=50_000, device="t4",
                                                         latency_budget="5ms", **IMG), "efficient_cnn", None),
    ("image, very large → ViT", ProblemSpec("image", input="3x224x224", samples=20_000_000, outputs=1000,
                                            device="h100-sxm", precision="bf16-mixed"), "vit", "vit"),
    ("sequence < 100 → LSTM/GRU", ProblemSpec("timeseries", input=8, seq_len=48, samples=10_000, outputs=1,
                                               task="regression"), "rnn", "lstm"),
    ("sequence 100–4000 → Transformer", ProblemSpec("text", input=5000, seq_len=512, samples=50_000, outputs=2),
     "transformer", "transformer"),
    ("sequence > 4000 → sparse Transformer", ProblemSpec("sequence", input=4, seq_len=8000, samples=5_000,
                                                          outputs=5), "local_transformer", "local_transformer"),
    ("graph → GNN after an MLP baseline", ProblemSpec("graph", input=1433, samples=140, nodes=2708, edges=10556,
                                                      outputs=7), "gnn", "gcn"),
    ("tabular < 1000 → linear", ProblemSpec("tabular", input=20, samples=500, outputs=3), "linear", "linear"),
    ("tabular 1k–100k → small MLP", ProblemSpec("tabular", input=20, samples=20_000, outputs=2), "mlp", "mlp"),
    ("tabular > 100k → larger MLP or boosting", ProblemSpec("tabular", input=20, samples=2_000_000, outputs=2),
     "mlp", "mlp"),
]


@pytest.mark.parametrize("name,spec,family,arch", BRANCHES, ids=[b[0] for b in BRANCHES])
def test_each_branch_of_the_seeds_tree(name, spec, family, arch):
    rec = archwise.design(spec)
    assert rec.family == family
    assert arch is None or rec.arch == arch
    assert rec.fits
    assert sum(p.numel() for p in rec.build(device="meta").parameters()) == rec.params
    principles = {r.principle for r in rec.rationale}
    assert {"Core Principle: Inductive Biases", "Decision Tree: Architecture Selection",
            "Principle: Match Capacity to Data Size"} <= principles


def test_tabular_always_lists_gradient_boosting_and_a_linear_baseline():
    for samples in (500, 20_000, 2_000_000):
        rec = archwise.design(ProblemSpec("tabular", input=20, samples=samples, outputs=2))
        archs = [r.arch for r in rec.references]
        assert "lightgbm" in archs and "logistic_regression" in archs
    small, large = (archwise.design(ProblemSpec("tabular", input=20, samples=n, outputs=2)) for n in (20_000, 2_000_000))
    assert small.hyperparameters["depth"] <= 2 < large.hyperparameters["depth"] + 1  # the seed's small vs larger MLP
    assert large.params > small.params


def test_graph_lists_the_mlp_baseline_and_the_other_gnns():
    rec = archwise.design(BRANCHES[7][1])
    assert [r.arch for r in rec.references][:1] == ["mlp"]
    assert {"sage", "gat"} <= {r.arch for r in rec.references}
    assert rec.hyperparameters["hidden"] == 16  # Kipf & Welling's size for Cora falls out of the band
    assert any("MLP baseline" in step for step in rec.decision.path)


def test_thresholds_are_settings():
    spec = ProblemSpec("timeseries", input=8, seq_len=150, samples=10_000, outputs=1, task="regression")
    assert archwise.design(spec).family == "transformer"
    assert archwise.design(spec, DesignSettings(tree=TreeThresholds(rnn_below=200))).family == "rnn"


def test_cifar10_gets_resnet20_with_the_issue_numbers():
    rec = archwise.design(ProblemSpec("image", samples=50_000, device="a100-40gb", batch_size=128, **IMG))
    assert rec.architecture.startswith("ResNet-20") and rec.params == 272_474  # He et al. 2016: 0.27M
    assert math.isclose(rec.params / 50_000, 5.45, rel_tol=1e-3)
    assert rec.binding_constraint == "capacity"
    text = " ".join(r.because for r in rec.rationale)
    assert "5.45 per sample" in text and "fits a100-40gb" in text


# ---- sizing against each budget -----------------------------------------------------------------
def test_latency_binds_and_is_met():
    spec = ProblemSpec("text", input=30_000, seq_len=512, samples=50_000, outputs=2, device="phone-cpu",
                       latency_budget="5ms", batch_size=8)
    free = archwise.design(spec.with_(latency_budget=None))
    rec = archwise.design(spec)
    assert rec.fits and rec.binding_constraint == "latency"
    lat = next(c for c in rec.constraints if c.name == "latency")
    assert lat.ok and lat.value <= 0.005
    assert rec.params < free.params  # the budget made it smaller than the data alone would
    lost = [a for a in rec.alternatives if any(c.name == "latency" and not c.ok for c in a.constraints)]
    assert lost and "latency" in lost[0].why


def test_memory_binds_and_is_met():
    spec = ProblemSpec("image", input="3x224x224", samples=1_200_000, outputs=1000, memory="3GB", batch_size=128)
    rec = archwise.design(spec)
    assert rec.fits and rec.binding_constraint == "training_memory"
    mem = next(c for c in rec.constraints if c.name == "training_memory")
    assert mem.ok and mem.value <= mem.limit
    assert any("training memory" in a.why for a in rec.alternatives)


def test_no_candidate_fits_names_the_closest_and_what_to_relax():
    spec = ProblemSpec("image", samples=50_000, device="t4", latency_budget="1us", **IMG)
    rec = archwise.design(spec)
    assert not rec.fits
    assert rec.relax and rec.relax[0].startswith("latency budget: 1.00 µs → at least")
    lat = next(c for c in rec.constraints if c.name == "latency")
    assert not lat.ok and f"×{lat.value / lat.limit:.2f}" in rec.relax[0]
    assert rec.evaluated <= 8  # a hopeless budget is not searched exhaustively


def test_capacity_band_follows_the_data():
    small, large = (archwise.design(ProblemSpec("image", samples=n, device="a100-80gb", **IMG))
                    for n in (5_000, 500_000))
    for rec, n in ((small, 5_000), (large, 500_000)):
        cap = next(c for c in rec.constraints if c.name == "capacity")
        assert cap.ok and cap.limit == [n * 1.0, n * 30.0]
    assert large.params > 10 * small.params


# ---- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("spec,message", [
    (dict(modality="sequence", input=8, samples=100, outputs=2), "needs its sequence length"),
    (dict(modality="image", input="3x32x32", outputs=10), "needs the number of training samples"),
    (dict(modality="image", samples=100, outputs=10), "needs the shape of one sample"),
    (dict(modality="image", input="32x32", samples=100, outputs=10), "an image sample is C×H×W"),
    (dict(modality="tabular", input=20, samples=100), "needs its number of classes"),
    (dict(modality="graph", input=20, samples=100, outputs=3), "needs the graph's size"),
])
def test_contradictory_specs_fail_with_one_line(spec, message):
    with pytest.raises(ArchwiseError, match=message):
        archwise.design(ProblemSpec(**spec))


def test_negative_samples_and_unknown_names_fail_at_the_spec():
    with pytest.raises(ArchwiseError, match="samples must be at least 1"):
        ProblemSpec("image", samples=-5)
    with pytest.raises(ArchwiseError, match="unknown modality 'imgae'.*did you mean 'image'"):
        ProblemSpec("imgae")
    with pytest.raises(ArchwiseError, match="unknown device 'h1000'"):
        ProblemSpec("image", device="h1000")


# ---- emitted code ------------------------------------------------------------------------------
EMIT = [
    ProblemSpec("tabular", input=12, samples=20_000, outputs=3),
    ProblemSpec("image", samples=50_000, **IMG),
    ProblemSpec("image", samples=50_000, device="phone-cpu", **IMG),
    ProblemSpec("timeseries", input=8, seq_len=48, samples=10_000, outputs=1, task="regression"),
    ProblemSpec("text", input=1000, seq_len=128, samples=20_000, outputs=2),
    ProblemSpec("sequence", input=4, seq_len=5000, samples=2_000, outputs=3),
    ProblemSpec("graph", input=64, samples=200, nodes=300, edges=1200, outputs=4),
]


def _load(path):
    spec = importlib.util.spec_from_file_location(f"emitted_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("spec", EMIT, ids=[label(s) for s in EMIT])
def test_emitted_code_is_standalone_and_the_same_model(spec, tmp_path):
    rec = archwise.design(spec)
    code = rec.emit()
    allowed = {"torch", "dataclasses", "math", "torch_geometric"} if spec.kind.value == "graph" else \
        {"torch", "dataclasses", "math"}
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            assert {a.name.split(".")[0] for a in node.names} <= allowed
        elif isinstance(node, ast.ImportFrom):
            assert node.module.split(".")[0] in allowed
    path = tmp_path / "model.py"
    path.write_text(code)
    torch.manual_seed(0)
    ours = rec.build().eval()
    theirs = _load(path).build_model().eval()
    assert sum(p.numel() for p in theirs.parameters()) == rec.params
    theirs.load_state_dict(ours.state_dict())
    gen = torch.Generator().manual_seed(1)
    inputs = [archwise.parse_input(i if isinstance(i, str) else "x".join(map(str, i))).real(gen)
              for i in rec.inputs(2)]
    if spec.kind.value == "graph":
        inputs[1] = torch.randint(0, spec.nodes, inputs[1].shape, generator=gen)
    with torch.no_grad():
        assert torch.equal(ours(*inputs), theirs(*inputs))


# ---- self-consistency: every claim holds when the model is rebuilt, profiled and checked ----------
FAST = [s for s in grid() if s.device != "phone-cpu" and s.kind.value not in ("graph",)][::6]


@pytest.mark.parametrize("spec", FAST, ids=[label(s) for s in FAST])
def test_self_consistency_sample(spec):
    assert verify(archwise.design(spec)) == []


@pytest.mark.slow
@pytest.mark.parametrize("spec", grid(), ids=[label(s) for s in grid()])
def test_self_consistency_full_grid(spec):
    assert verify(archwise.design(spec)) == []


def test_the_grid_is_at_least_40_specs_over_every_modality():
    specs = grid()
    assert len(specs) >= 40
    assert {s.kind.value for s in specs} == {"image", "text", "timeseries", "sequence", "graph", "tabular"}
    assert len({s.device for s in specs}) >= 5 and any(s.latency_budget for s in specs)


def test_recommendation_json_has_the_issue_keys():
    d = archwise.design(ProblemSpec("image", samples=50_000, device="t4", latency_budget="20ms", **IMG)).to_dict()
    assert {"family", "architecture", "hyperparameters", "params", "rationale", "constraints", "binding_constraint",
            "alternatives"} <= set(d)
    assert all(set(r) == {"principle", "because"} for r in d["rationale"])
    assert all({"name", "limit", "value", "ok"} <= set(c) for c in d["constraints"])
    assert len(d["alternatives"]) == 2 and all(a["why"] for a in d["alternatives"])
    assert arch_params(d["arch"], **d["hyperparameters"]) == d["params"]
