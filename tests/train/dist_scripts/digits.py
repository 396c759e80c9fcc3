"""An MLP on scikit-learn's digits under ``archwise.Monitor``, data parallel or in one process.

    torchrun --standalone --nproc_per_node 2 tests/train/dist_scripts/digits.py OUT [--wrap ddp|fsdp2|fsdp1]

trains a healthy MLP and one whose hidden biases start at -6 (dead ReLUs), each rank on its share
of every global batch (``DistributedSampler``); saves each record with ``mon.save`` on every rank
(to a path naming the rank, so that a file written by another rank would show) and writes each
rank's diagnoses to OUT/ranks/. It also trains each model again without the monitor, to compare
the weights (each rank's shard, under FSDP) bit for bit, and checks two refusals.

``run(fault, world=2, rank=None)`` trains the same model in one process on the same global batches
(each rank's local batch, concatenated), for the test to compare with.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DistributedSampler

import archwise
from archwise.errors import ArchwiseError

FAULTS = ("healthy", "dead_relu")
N_TRAIN, N_VAL, LOCAL_BATCH, EPOCHS, EVERY = 1344, 448, 32, 4, 4   # 1344 = 21 global batches of 64


class MLP(nn.Module):
    """64 → 128 → 64 → 10; an ``nn.ReLU`` module after fc1 and ``F.relu`` after fc2 (the Monitor sees both)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.act, self.fc2, self.out = nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.Linear(64, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(nn.functional.relu(self.fc2(self.act(self.fc1(x)))))


def data():
    """Digits standardised and shuffled once: 1344 training rows, 448 validation rows (even shares)."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    return (x[:N_TRAIN], y[:N_TRAIN]), (x[N_TRAIN:N_TRAIN + N_VAL], y[N_TRAIN:N_TRAIN + N_VAL])


def build(fault: str) -> MLP:
    torch.manual_seed(0)
    model = MLP()
    if fault == "dead_relu":
        with torch.no_grad():
            model.fc1.bias.fill_(-6.0)
            model.fc2.bias.fill_(-6.0)
    return model


def local_batches(epoch: int, world: int, rank: int) -> list[torch.Tensor]:
    """The rows rank ``rank`` trains on in each step of ``epoch``."""
    sampler = DistributedSampler(range(N_TRAIN), num_replicas=world, rank=rank, shuffle=True, seed=0)
    sampler.set_epoch(epoch)
    return list(torch.tensor(list(sampler)).split(LOCAL_BATCH))


def wrap(model: MLP, how: str) -> nn.Module:
    if how == "ddp":
        return nn.parallel.DistributedDataParallel(model)
    if how == "fsdp2":
        from torch.distributed.fsdp import fully_shard

        for layer in (model.fc1, model.fc2, model.out):
            fully_shard(layer)
        return fully_shard(model)
    if how in ("fsdp1", "fsdp1-flat"):
        from torch.distributed.fsdp import FullyShardedDataParallel

        return FullyShardedDataParallel(model, use_orig_params=how == "fsdp1", device_id=torch.device("cpu"))
    raise ValueError(how)


def run(fault: str, world: int, rank: int | None, how: str = "ddp", monitor: bool = True):
    """Train; ``rank=None`` is the one-process run on the global batches. Returns (monitor, model)."""
    (x, y), (xv, yv) = data()
    model = build(fault)
    trained = wrap(model, how) if rank is not None else model
    opt = torch.optim.Adam(trained.parameters(), lr=1e-3)
    mon = archwise.Monitor(trained, opt, every=EVERY, n_train=N_TRAIN) if monitor else None
    share = slice(None) if rank is None else slice(rank, None, world)   # each rank evaluates its equal share

    def evaluate(xs, ys):
        trained.eval()
        with torch.no_grad():
            out = trained(xs[share])
            loss = float(nn.functional.cross_entropy(out, ys[share]))
            acc = float((out.argmax(1) == ys[share]).float().mean())
        trained.train()
        return loss, acc

    if mon is not None:
        mon.attach()
    for epoch in range(EPOCHS):
        parts = [local_batches(epoch, world, r) for r in range(world)]
        for step in range(len(parts[0])):
            idx = torch.cat([p[step] for p in parts]) if rank is None else parts[rank][step]
            loss = nn.functional.cross_entropy(trained(x[idx]), y[idx])
            loss.backward()
            opt.step()
            opt.zero_grad()
            if mon is not None:
                mon.step(loss)
        if mon is not None:
            (tl, ta), (vl, va) = evaluate(x, y), evaluate(xv, yv)
            mon.log_epoch(train_loss=tl, val_loss=vl, train_metric=ta, val_metric=va)
    if mon is not None:
        mon.detach()
    return mon, model


def summary(mon: archwise.Monitor) -> list[list[str | None]]:
    """Each diagnosis: problem, severity and its first prescription's action."""
    return [[d.problem, d.severity.value, d.prescriptions[0].action if d.prescriptions else None]
            for d in mon.diagnose()]


def local(t: torch.Tensor) -> torch.Tensor:
    return t.to_local() if hasattr(t, "to_local") else t


def refusals(rank: int) -> dict[str, str]:
    """The one-line errors for FSDP1's flat parameters and for ranks that log different epoch values."""
    found = {}
    try:
        archwise.Monitor(wrap(build("healthy"), "fsdp1-flat"))
    except ArchwiseError as err:
        found["flat_params"] = str(err)
    mon = archwise.Monitor(wrap(build("healthy"), "ddp")).attach()
    try:
        mon.log_epoch(**({"train_loss": 1.0} if rank == 0 else {"val_loss": 1.0}))
    except ArchwiseError as err:
        found["mismatch"] = str(err)
    mon.detach()
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--wrap", default="ddp", choices=("ddp", "fsdp2", "fsdp1"))
    args = parser.parse_args()
    torch.distributed.init_process_group("gloo")
    rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
    try:
        (args.out / "ranks").mkdir(parents=True, exist_ok=True)
        for fault in FAULTS:
            mon, model = run(fault, world, rank, args.wrap)
            mon.save(args.out / "records" / f"{fault}.rank{rank}.jsonl")   # only rank 0 writes
            _, plain = run(fault, world, rank, args.wrap, monitor=False)
            result = {"diagnoses": summary(mon),
                      "bit_identical": all(torch.equal(local(a), local(b)) for a, b in
                                           zip(model.state_dict().values(), plain.state_dict().values()))}
            (args.out / "ranks" / f"{fault}.{rank}.json").write_text(json.dumps(result))
        (args.out / "ranks" / f"refusals.{rank}.json").write_text(json.dumps(refusals(rank)))
    finally:
        # torch 2.13: every backward stashes a Python object in the thread-local state that DDP's gradient
        # all-reduce hands to gloo's worker threads; a worker still releasing it when destroy_process_group
        # (which holds the GIL) joins them waits for the GIL forever (about 1 run in 3 here). The barrier
        # waits without the GIL, so the workers finish first.
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
    # the process sometimes aborts in interpreter finalization ("terminate called without an active
    # exception", about 1 run in 15 with torch 2.13, gloo and pyarrow loaded, which `import archwise`
    # does through pandas; plain torch alone did not): every result is written, so leave without it
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
