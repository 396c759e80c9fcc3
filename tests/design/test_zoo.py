"""The conformance suite: every registered builder, at two sizes, must build, run forward and
backward with finite outputs, put a gradient on every parameter, and have exactly the parameter
count its closed-form formula gives. Adding a builder adds its tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from archwise.design.zoo import arch_inputs, arch_params, create_arch, get_arch, list_archs
from archwise.errors import ArchwiseError
from archwise.spec import parse_input

TORCH = [n for n in list_archs() if get_arch(n).kind == "torch"]
SKLEARN = [n for n in list_archs() if get_arch(n).kind == "sklearn"]
CASES = [(n, i) for n in TORCH for i in range(2)]


def _real_inputs(name: str, kwargs: dict) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    out = []
    for item in arch_inputs(name, batch=3, **kwargs):
        spec = parse_input(item) if isinstance(item, str) else parse_input("x".join(str(d) for d in item))
        out.append(spec.real(gen))
    return out


def test_every_family_the_seed_names_has_a_builder():
    families = {get_arch(n).family for n in list_archs()}
    assert families >= {"linear", "mlp", "cnn", "efficient_cnn", "vit", "rnn", "transformer", "local_transformer",
                        "gnn", "boosting"}
    names = set(list_archs())
    assert names >= {"linear", "ridge", "logistic_regression", "mlp", "highway", "resnet", "se_resnet", "densenet",
                     "mobilenetv2", "efficientnet", "inception", "vit", "lstm", "gru", "transformer",
                     "local_transformer", "gcn", "sage", "gat", "lightgbm"}


@pytest.mark.parametrize("name,size", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_torch_builder_conforms(name: str, size: int):
    info = get_arch(name)
    assert len(info.test_sizes) == 2, f"{name} must give two test sizes"
    kwargs = info.test_sizes[size]
    torch.manual_seed(0)
    model = create_arch(name, **kwargs)
    assert isinstance(model, torch.nn.Module)
    assert sum(p.numel() for p in model.parameters()) == arch_params(name, **kwargs), "closed-form count differs"
    out = model(*_real_inputs(name, kwargs))
    assert torch.is_tensor(out) and torch.isfinite(out).all(), "outputs must be finite"
    out.float().square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"parameters without a gradient: {missing[:5]}"
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())
    assert hasattr(model, "cfg"), "the top module keeps its config dataclass as .cfg (emit reads it)"


def test_the_two_test_sizes_differ_in_size():
    for name in TORCH:
        a, b = (arch_params(name, **k) for k in get_arch(name).test_sizes)
        assert a != b, name


@pytest.mark.parametrize("name", SKLEARN)
def test_sklearn_builder_conforms(name: str):
    info = get_arch(name)
    rng = np.random.default_rng(0)
    for kwargs in info.test_sizes:
        est = create_arch(name, **kwargs)
        X = rng.normal(size=(120, kwargs.get("in_features", 5)))
        classify = kwargs.get("task", "regression") == "classification"
        y = (X[:, 0] > 0).astype(int) if classify else X @ rng.normal(size=X.shape[1])
        est.fit(X, y)
        pred = est.predict(X)
        assert pred.shape[0] == 120 and np.isfinite(pred).all()
        fitted = info.params(**{**info.defaults, **kwargs})
        if info.family == "boosting":  # trees grow as the data asks: the formula is the upper bound
            nodes = sum(t["num_leaves"] * 2 - 1 for t in est.booster_.dump_model()["tree_info"])
            assert 0 < nodes <= fitted
        else:
            n = est.coef_.size + np.size(est.intercept_)
            assert n == fitted


def test_unknown_name_and_argument_fail_clearly():
    with pytest.raises(ArchwiseError, match="did you mean 'resnet'"):
        create_arch("resnte")
    with pytest.raises(ArchwiseError, match="takes no argument 'dept'.*did you mean 'depth'"):
        create_arch("mlp", dept=3)


def test_none_keeps_the_default():
    assert create_arch("mlp", hidden=None, in_features=4).cfg.hidden == get_arch("mlp").defaults["hidden"]
