"""A ``torch.compile``'d model under the Monitor (issue 17).

The activation modules' hooks are traced into the compiled graph (their statistics become graph
outputs), so the record must equal an uncompiled run's and training must not change. The tests use
the ``aot_eager`` backend (dynamo and AOTAutograd, no C++ compiler); one slow test repeats the
bit-identity check with inductor.
"""

from __future__ import annotations

import shutil

import pytest
import torch
from torch import nn

import archwise
from archwise.errors import ArchwiseError

from . import scenarios as S


def _model() -> nn.Sequential:
    """An MLP with saturated tanh units (the first weights ×10) and dead ReLUs (the second bias at -1.5)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.Tanh(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    with torch.no_grad():
        model[0].weight.mul_(10.0)
        model[2].bias.fill_(-1.5)
    return model


def _train(compile: str | None, monitor: bool, backend: str = "aot_eager"):
    torch._dynamo.reset()
    model = _model()
    run = model
    if compile == "wrapped":
        run = torch.compile(model, backend=backend)
    elif compile == "in_place":
        model.compile(backend=backend)
    (x, y), _ = S._split(*S._digits())
    opt = torch.optim.Adam(run.parameters(), lr=1e-3)
    mon = archwise.Monitor(run, opt, every=3, window=1, functional=False) if monitor else None
    g = torch.Generator().manual_seed(0)
    if mon is not None:
        mon.attach()
    for _ in range(12):
        idx = torch.randint(0, len(x), (64,), generator=g)
        loss = nn.functional.cross_entropy(run(x[idx]), y[idx])
        loss.backward()
        opt.step()
        opt.zero_grad()
        if mon is not None:
            mon.step(loss)
    if mon is not None:
        mon.detach()
    return mon, model


@pytest.mark.parametrize("compile", ["wrapped", "in_place"])
def test_a_compiled_model_records_what_the_uncompiled_one_does(compile):
    from torch._dynamo.utils import counters

    counters.clear()
    watched, _ = _train(compile, monitor=True)
    # it did run compiled: a graph for sampled forwards and one for the rest, no graph breaks
    assert counters["stats"]["unique_graphs"] >= 2 and not counters["graph_break"]
    plain, _ = _train(None, monitor=True)
    rec, ref = watched.record, plain.record
    assert [vars(x) for x in rec.layers] == [vars(x) for x in ref.layers]            # "0", not "_orig_mod.0"
    assert [vars(x) for x in rec.activations] == [vars(x) for x in ref.activations]
    assert rec.meta["wrappers"] == (["OptimizedModule"] if compile == "wrapped" else ["Module.compile"])
    assert len(rec.sampled()) == len(ref.sampled()) == 4
    for a, b in zip(rec.sampled(), ref.sampled()):
        assert a.dead == b.dead and a.saturated == b.saturated
        assert a.grad_norm == pytest.approx(b.grad_norm, rel=1e-6)
    last = rec.sampled()[-1]
    assert 0.1 < last.saturated[0] < 1.0 and 0.1 < last.dead[1] < 1.0    # the faults are there to be seen
    assert rec.meta["input"] == ref.meta["input"]


@pytest.mark.parametrize("compile", ["wrapped", "in_place"])
def test_a_compiled_models_weights_are_bit_identical_with_and_without_the_monitor(compile):
    _, plain = _train(compile, monitor=False)
    _, watched = _train(compile, monitor=True)
    for a, b in zip(plain.state_dict().values(), watched.state_dict().values()):
        assert torch.equal(a, b)


def test_the_functional_watch_refuses_a_compiled_model():
    """Under its dispatch mode dynamo runs the model uncompiled (and never compiles a frame first
    called under it), so the watch would silently turn compilation off."""
    with pytest.raises(ArchwiseError, match=r"functional=False .* or monitor the uncompiled model"):
        archwise.Monitor(torch.compile(_model(), backend="aot_eager"))
    model = _model()
    model[2].compile(backend="aot_eager")     # one compiled part is enough
    with pytest.raises(ArchwiseError, match="torch.compile'd"):
        archwise.Monitor(model, functional=True)


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("c++") or shutil.which("g++")), reason="inductor needs a C++ compiler")
def test_inductor_weights_are_bit_identical_with_and_without_the_monitor():
    _, plain = _train("wrapped", monitor=False, backend="inductor")
    _, watched = _train("wrapped", monitor=True, backend="inductor")
    for a, b in zip(plain.state_dict().values(), watched.state_dict().values()):
        assert torch.equal(a, b)
