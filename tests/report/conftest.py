"""Real results of every kind, made once per session and small enough to be quick: a profile with
training memory, multi-GPU plans and measured latency; a check with findings at every severity; a
design; a monitored run with a diagnosis; a one-seed ladder on wine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

import archwise


@pytest.fixture(scope="session")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("report-inputs")
    torch.manual_seed(0)

    convs = [m for _ in range(12) for m in (nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())]
    deep = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), *convs, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(8, 10))
    prof = archwise.profile(deep, [(16, 3, 16, 16)], train=True, device="t4", gpus=2, measure=True)
    check = archwise.check_report(deep, [(2, 3, 16, 16)], archwise.ProblemSpec("image", samples=200, device="t4",
                                                                               latency_budget=0.001))
    rec = archwise.design(archwise.ProblemSpec("image", input=(1, 8, 8), samples=1168, outputs=10, device="t4"))

    x = torch.randn(256, 20)
    y = (x[:, 0] > 0).long()
    plain = nn.Sequential(*[m for _ in range(12) for m in (nn.Linear(20, 20), nn.Sigmoid())], nn.Linear(20, 2))
    opt = torch.optim.SGD(plain.parameters(), lr=0.01)
    mon = archwise.Monitor(plain, opt, every=2, n_train=256)
    with mon:
        for epoch in range(4):
            for i in range(0, 256, 32):
                loss = nn.functional.cross_entropy(plain(x[i:i + 32]), y[i:i + 32])
                loss.backward()
                opt.step()
                opt.zero_grad()
                mon.step(loss)
            with torch.no_grad():
                out = plain(x)
            mon.log_epoch(train_loss=nn.functional.cross_entropy(out, y), val_loss=nn.functional.cross_entropy(out, y),
                          train_metric=(out.argmax(1) == y).float().mean(), val_metric=(out.argmax(1) == y).float().mean())
    run = mon.save(folder / "run.jsonl")

    ladder = archwise.ladder("wine", seeds=1, out=folder / "ladder")

    paths = {"profile": folder / "profile.json", "check": folder / "check.json", "design": folder / "design.json",
             "monitor": run, "ladder": folder / "ladder"}
    for kind, obj in (("profile", prof), ("check", check), ("design", rec)):
        paths[kind].write_text(json.dumps(obj.to_dict(), indent=1))
    assert ladder.out is not None
    return paths
