"""A plain PyTorch training loop with archwise.Monitor around it, on scikit-learn's digits.

    python examples/monitor_digits.py run.jsonl            # the seed's anti-pattern: 16 plain sigmoid layers
    python examples/monitor_digits.py run.jsonl --healthy  # the same data, a 2-layer ReLU MLP
    archwise diagnose run.jsonl --plot run.png
    archwise diagnose run.jsonl --verify examples/monitor_digits.py   # re-run setup() with each prescribed fix

Copy the loop: the only archwise lines are marked. ``setup(seed)`` builds the model, optimizer, loss
and data; the loop below and ``archwise diagnose --verify`` both train what it returns.
"""

from __future__ import annotations

import argparse

import torch
from sklearn.datasets import load_digits
from torch import nn

import archwise


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 1,797 8×8 digits as 64 standardised features, and their labels."""
    x, y = load_digits(return_X_y=True)
    return torch.tensor((x - x.mean(0)) / (x.std(0) + 1e-6), dtype=torch.float32), torch.tensor(y)


def setup(seed: int = 0, healthy: bool = False) -> archwise.TrainSetup:
    """The run's objects, built fresh from ``seed``: what ``--verify`` re-runs with each fix."""
    torch.set_num_threads(1)  # a model this small trains fastest on one thread
    torch.manual_seed(seed)
    x, y = digits()
    if healthy:
        model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    else:  # 16 plain sigmoid layers and no skip connection
        model = nn.Sequential(nn.Linear(64, 64), nn.Sigmoid(),
                              *[m for _ in range(14) for m in (nn.Linear(64, 64), nn.Sigmoid())], nn.Linear(64, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return archwise.TrainSetup(model, optimizer, nn.CrossEntropyLoss(), (x[:1400], y[:1400]), batch_size=64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="where to write the run (JSON lines)")
    parser.add_argument("--healthy", action="store_true", help="train a model that works instead")
    args = parser.parse_args()

    run = setup(0, args.healthy)
    model, optimizer, loss_fn, (x_train, y_train) = run.model, run.optimizer, run.loss_fn, run.data
    x, y = digits()
    x_val, y_val = x[1400:], y[1400:]

    mon = archwise.Monitor(model, optimizer, every=10, n_train=len(x_train))   # archwise
    with mon:                                                                  # archwise
        for epoch in range(8):
            order = torch.randperm(len(x_train))
            for i in range(0, len(x_train), 64):
                idx = order[i:i + 64]
                loss = loss_fn(model(x_train[idx]), y_train[idx])
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                mon.step(loss)                                                 # archwise
            model.eval()
            with torch.no_grad():
                train_out, val_out = model(x_train), model(x_val)
            model.train()
            mon.log_epoch(train_loss=loss_fn(train_out, y_train), val_loss=loss_fn(val_out, y_val),  # archwise
                          train_metric=(train_out.argmax(1) == y_train).float().mean(),
                          val_metric=(val_out.argmax(1) == y_val).float().mean())
    mon.save(args.out)                                                         # archwise
    found = mon.diagnose()                                                     # archwise
    print(f"wrote {args.out}: {len(mon.record.steps)} steps, {len(mon.record.epochs)} epochs; "
          f"{len(found)} diagnos{'is' if len(found) == 1 else 'es'}: {', '.join(d.problem for d in found) or 'none'}")


if __name__ == "__main__":
    main()
