"""The Monitor records the right numbers and never changes training."""

from __future__ import annotations

import math
import time

import pytest
import torch
from torch import nn

import archwise
from archwise.errors import ArchwiseError

from . import scenarios as S


def _hooks(model: nn.Module, optimizer: torch.optim.Optimizer) -> list[int]:
    counts = []
    for m in model.modules():
        counts += [len(m._forward_hooks), len(m._forward_pre_hooks), len(m._backward_hooks),
                   len(getattr(m, "_backward_pre_hooks", {}))]
    counts += [len(optimizer._optimizer_step_pre_hooks), len(optimizer._optimizer_step_post_hooks)]
    return counts


@pytest.mark.parametrize("build,data,every", [
    (lambda: S.mlp([64, 128, 64, 10]), lambda: S._split(*S._digits())[0], 10),
    (lambda: S.mlp([64, 128, 64, 10]), lambda: S._split(*S._digits())[0], 1),
    (S.SmallCNN, lambda: S._split(*S._digits(flat=False))[0], 3),
    (lambda: S.SeqClassifier("lstm"), lambda: S._split(*S._sequences(400, 0))[0], 2),
])
def test_weights_bit_identical_with_and_without_monitor(build, data, every):
    torch.manual_seed(0)
    plain = build()
    torch.manual_seed(0)
    watched = build()
    x, y = data()
    S.train(plain, (x, y), epochs=2, seed=3, monitor=False)
    mon = S.train(watched, (x, y), epochs=2, seed=3, every=every)
    assert len(mon.record.sampled()) > 0
    for (name, a), (_, b) in zip(plain.state_dict().items(), watched.state_dict().items()):
        assert torch.equal(a, b), name


def test_hooks_removed_and_state_as_found_even_when_the_loop_raises():
    model = S.SmallCNN()
    model.features[1].eval()                      # a mixed training flag, to be kept
    model.head.bias.requires_grad_(False)         # a frozen parameter, to be kept
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1, momentum=0.9)
    before = _hooks(model, opt)
    flags = [(m.training) for m in model.modules()]
    grads = [p.requires_grad for p in model.parameters()]
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    x = torch.randn(8, 1, 8, 8)
    with pytest.raises(RuntimeError, match="boom"):
        with archwise.Monitor(model, opt, every=1) as mon:
            assert _hooks(model, opt) != before
            model(x).sum().backward()
            opt.step()
            mon.step(torch.tensor(1.0))
            raise RuntimeError("boom")
    assert _hooks(model, opt) == before
    assert [m.training for m in model.modules()] == flags
    assert [p.requires_grad for p in model.parameters()] == grads
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == groups
    # and the monitor can be used again afterwards
    with archwise.Monitor(model, opt):
        pass
    assert _hooks(model, opt) == before


def test_gradient_weight_and_update_norms_match_an_independent_computation():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    layers = [model[0], model[2]]
    expected = []
    with archwise.Monitor(model, opt, every=3) as mon:
        for step in range(7):
            x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            grad = [torch.cat([p.grad.flatten() for p in m.parameters()]).norm().item() for m in layers]
            before = [torch.cat([p.detach().flatten() for p in m.parameters()]).clone() for m in layers]
            opt.step()
            after = [torch.cat([p.detach().flatten() for p in m.parameters()]) for m in layers]
            expected.append((loss.item(), grad, [b.norm().item() for b in before],
                             [(a - b).norm().item() / b.norm().item() for a, b in zip(after, before)]))
            opt.zero_grad()
            mon.step(loss)
    steps = mon.record.steps
    assert [s.step for s in steps if s.sampled] == [0, 3, 6]
    for s, (loss, grad, weight, ratio) in zip(steps, expected):
        assert s.loss == pytest.approx(loss, rel=1e-6)
        if s.sampled:
            assert s.grad_norm == pytest.approx(grad, rel=1e-5)
            assert s.weight_norm == pytest.approx(weight, rel=1e-5)
            assert s.update_ratio == pytest.approx(ratio, rel=1e-4)
    assert [layer.name for layer in mon.record.layers] == ["0", "2"]
    assert [layer.params for layer in mon.record.layers] == [56, 27]


def test_gradient_accumulation_reports_the_accumulated_gradient():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with archwise.Monitor(model, opt, every=2) as mon:
        norms = []
        for step in range(4):
            for micro in range(3):
                loss = model(torch.randn(5, 4)).pow(2).mean() / 3
                loss.backward()
                mon.step(loss)                    # called per micro-batch
            norms.append(torch.cat([p.grad.flatten() for p in model[0].parameters()]).norm().item())
            opt.step()
            opt.zero_grad()
    rec = mon.record
    assert len(rec.steps) == 12
    sampled = [s for s in rec.steps if s.sampled]
    # the sample taken at optimizer step 0 and again 2 steps later, each the accumulated gradient
    assert [s.opt_step for s in sampled] == [1, 3]
    assert sampled[0].grad_norm[0] == pytest.approx(norms[0], rel=1e-5)
    assert sampled[1].grad_norm[0] == pytest.approx(norms[2], rel=1e-5)


def test_dead_units_and_saturation_fractions_by_hand():
    model = nn.Sequential(nn.Linear(4, 10), nn.ReLU(), nn.Linear(10, 10), nn.Sigmoid(), nn.Linear(10, 1))
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].bias.copy_(torch.tensor([1.0] * 3 + [-1.0] * 7))      # 7 of 10 units never active
        model[2].weight.zero_()
        model[2].bias.copy_(torch.tensor([6.0] * 4 + [0.5] * 6))       # 4 of 10 saturated
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    with archwise.Monitor(model, opt, every=1) as mon:
        for _ in range(3):
            model(torch.randn(8, 4)).sum().backward()
            opt.step()
            opt.zero_grad()
            mon.step(0.0)
    last = mon.record.steps[-1]
    assert last.dead == [pytest.approx(0.7), None]
    assert last.saturated == [None, pytest.approx(0.4)]
    assert [a.after for a in mon.record.activations] == ["0", "2"]


def test_grad_scaler_skipped_steps_are_marked_and_not_exploding():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10)
    with archwise.Monitor(model, opt, every=1, scaler=scaler) as mon:
        for step in range(30):
            loss = model(torch.randn(8, 4)).pow(2).mean()
            scale = torch.tensor(math.inf) if step in (5, 17) else torch.tensor(1.0)
            scaler.scale(loss * scale).backward()
            scaler.step(opt)
            scaler.update()
            opt.zero_grad()
            mon.step(loss)
    rec = mon.record
    assert [s.step for s in rec.steps if s.skipped] == [5, 17]
    assert not any(s.sampled for s in rec.steps if s.skipped)
    problems = {d.problem for d in mon.diagnose()}
    assert "exploding_gradients" not in problems and "non_finite" not in problems
    assert all(all(math.isfinite(g) for g in s.grad_norm) for s in rec.sampled())


def test_step_time_split_adds_up_and_sees_a_slow_data_loader():
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    with archwise.Monitor(model, opt) as mon:
        for _ in range(25):
            time.sleep(0.01)                          # the "data loader"
            x = torch.randn(16, 32)
            loss = model(x).pow(2).mean()
            loss.backward()
            opt.step()
            opt.zero_grad()
            mon.step(loss)
    for s in mon.record.steps:
        parts = sum(s.time[k] for k in ("data", "forward", "backward", "optimizer"))
        assert 0 < parts <= s.time["total"] + 1e-9
        assert s.time["data"] >= 0.009
        assert s.time["forward"] > 0 and s.time["backward"] > 0 and s.time["optimizer"] > 0
    slow = [d for d in mon.diagnose() if d.problem == "slow_step"]
    assert slow and slow[0].prescriptions[0].action == "faster_data_loading"
    assert slow[0].evidence["data_share"] > 0.4


def test_without_an_optimizer_gradients_are_read_at_step():
    model = nn.Linear(3, 2)
    with archwise.Monitor(model, every=1) as mon:
        model(torch.ones(4, 3)).sum().backward()
        expected = torch.cat([model.weight.grad.flatten(), model.bias.grad.flatten()]).norm().item()
        mon.step(1.0)
    assert mon.record.steps[0].grad_norm == [pytest.approx(expected)]
    assert mon.record.steps[0].update_ratio is None


def test_bad_use_gives_one_line_errors():
    model = nn.Linear(2, 2)
    with pytest.raises(ArchwiseError, match="torch.nn.Module"):
        archwise.Monitor("model")
    with pytest.raises(ArchwiseError, match="every must be"):
        archwise.Monitor(model, every=0)
    mon = archwise.Monitor(model)
    with pytest.raises(ArchwiseError, match="outside `with mon:`"):
        mon.step(1.0)
    with mon:
        with pytest.raises(ArchwiseError, match="scalar loss"):
            mon.step(torch.ones(3))
        with pytest.raises(ArchwiseError, match="already attached"):
            mon.attach()


def test_log_epoch_refuses_names_the_record_uses_itself():
    with archwise.Monitor(nn.Linear(2, 2)) as mon:
        with pytest.raises(ArchwiseError, match="'step' is a name the record uses"):
            mon.log_epoch(train_loss=1.0, step=3)
        mon.log_epoch(train_loss=1.0, lr_end=0.1)
    assert mon.record.epochs[0].extra == {"lr_end": 0.1}


def test_large_finite_weights_are_not_reported_non_finite():
    """Issue 17 (6): float32 norms overflow above ~1.8e19; a layer of finite weights near 1e20 has a
    finite norm (summed in float64), and only a real inf or NaN is called non-finite."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    with torch.no_grad():
        model[2].weight.fill_(1e20)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    with archwise.Monitor(model, optimizer, every=1) as mon:
        for _ in range(3):
            loss = model(x).sum() * 1e-30  # finite (the outputs reach ~1e21), and so are the gradients
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            mon.step(loss)
    norms = [s.weight_norm for s in mon.record.sampled()]
    expected = 1e20 * math.sqrt(16)  # 16 weights of 1e20 (the bias is small beside it)
    assert all(math.isfinite(n[1]) and n[1] == pytest.approx(expected, rel=1e-6) for n in norms), norms
    assert all(w == pytest.approx(float(torch.linalg.vector_norm(model[0].weight.detach().double()) ** 2 +
                                        torch.linalg.vector_norm(model[0].bias.detach().double()) ** 2) ** 0.5, rel=1e-6)
               for w in (n[0] for n in norms))
    assert not [d for d in mon.diagnose() if d.problem == "non_finite" and "weights" in d.summary]
    with torch.no_grad():
        model[2].weight[0, 0] = float("inf")  # a real inf is still reported
    with archwise.Monitor(model, optimizer, every=1) as mon:
        out = model(x)[:, 1].sum()
        optimizer.zero_grad()
        out.backward()
        optimizer.step()
        mon.step(1.0)
    assert math.isinf(mon.record.sampled()[0].weight_norm[1])


class _FunctionalNet(nn.Module):
    """ReLUs called as functions, with hidden biases at −8: every unit dead from the start."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.out = nn.Linear(64, 128), nn.Linear(128, 128), nn.Linear(128, 10)
        with torch.no_grad():
            self.fc1.bias.fill_(-8.0)
            self.fc2.bias.fill_(-8.0)

    def forward(self, x):
        return self.out(torch.relu(self.fc2(nn.functional.relu(self.fc1(x)))))


def test_functional_activations_are_seen_and_their_dead_units_counted():
    """Issue 17 (7): F.relu / torch.relu are invisible to module hooks; the dispatch-mode spy sees them."""
    torch.manual_seed(0)
    x, y = S._split(*S._digits())[0]
    model = _FunctionalNet()
    with torch.no_grad():  # by hand: the share of fc1's units never positive on the training inputs
        expected = 1.0 - float((model.fc1(x) > 0).any(0).float().mean())
    mon = S.train(model, (x, y), epochs=3, batch=len(x), lr=0.0, opt="sgd", every=1)  # every step sees every row
    acts = mon.record.activations
    assert [(a.name, a.type, a.after) for a in acts] == [("fc1 · F.relu #1", "F.relu", "fc1"),
                                                         ("fc2 · F.relu #1", "F.relu", "fc2")]
    assert mon.record.sampled()[-1].dead[0] == pytest.approx(expected) and expected > 0.9
    d = next(d for d in mon.diagnose() if d.problem == "dead_units")
    assert d.severity.value == "warning" and "fc1 · F.relu #1" in d.summary
    assert d.prescriptions[0].action == "check_initialization" and "bias started at mean -8" in d.prescriptions[0].text


def test_activation_modules_are_not_counted_twice_and_the_transformers_relu_is_seen():
    mlp = S.train(S.mlp([64, 32, 10]), S._split(*S._digits())[0], epochs=1)
    assert [a.type for a in mlp.record.activations] == ["ReLU"]  # nn.ReLU calls aten.relu: not a second entry
    enc = S.train(S.SeqClassifier("transformer"), S._split(*S._sequences(256, 0))[0], epochs=1)
    assert [a.name for a in enc.record.activations] == ["body.layers.0.linear1 · F.relu #1",
                                                        "body.layers.1.linear1 · F.relu #1"]
    assert all(v is not None for v in enc.record.sampled()[-1].dead)
    off = archwise.Monitor(S.mlp([4, 4]), functional=False)
    assert off.functional is False


def test_functional_watch_leaves_weights_bit_identical():
    torch.manual_seed(0)
    plain = S.SeqClassifier("transformer")
    torch.manual_seed(0)
    watched = S.SeqClassifier("transformer")
    data = S._split(*S._sequences(256, 0))[0]
    S.train(plain, data, epochs=2, seed=3, monitor=False)
    S.train(watched, data, epochs=2, seed=3, every=2)
    for a, b in zip(plain.state_dict().values(), watched.state_dict().values()):
        assert torch.equal(a, b)
