"""Train the model an archwise ladder recommended in your own loop, watched by archwise.Monitor.

    archwise ladder digits --out out/ladder
    python examples/train_recommended.py out/ladder run.jsonl [--epochs 15]
    archwise diagnose run.jsonl

The model is built from out/ladder/model.json with fresh weights (seed 0) and trained on the very
split and scaling the ladder used (same bundled dataset, same split hash): Adam at the ladder's
learning rate, batches of 64. It covers image and tabular (and sequence) models; graph models
(GCN) and LightGBM train differently. Copy the loop: the only archwise lines are marked.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from torch import nn

import archwise
from archwise.design import create_arch
from archwise.ladder.data import load_data
from archwise.ladder.prepare import prepare


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ladder_dir", type=Path, metavar="LADDER_DIR", help="the folder archwise ladder --out wrote")
    parser.add_argument("out", metavar="RUN_JSONL", help="where to write the run (JSON lines)")
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args(argv)
    if not (args.ladder_dir / "model.json").is_file():
        sys.exit(f"no model.json in '{args.ladder_dir}': give the folder archwise ladder DATA --out DIR wrote")

    spec = json.loads((args.ladder_dir / "model.json").read_text())   # what to build
    ladder = json.loads((args.ladder_dir / "ladder.json").read_text())  # what data it was chosen on
    if spec["arch"] == "lightgbm" or ladder["modality"] == "graph":
        sys.exit(f"the recommended model is {spec['label']}: this example covers image and tabular models "
                 "(torch models fed a batch of samples), not LightGBM or graph models")
    try:
        data = prepare(load_data(ladder["data"]))  # the ladder's split and scaling, row for row
    except archwise.ArchwiseError as err:
        sys.exit(f"cannot reload the ladder's data '{ladder['data']}': {err}")
    if data.split_hash != ladder["split_hash"]:
        sys.exit(f"'{ladder['data']}' does not split as in the ladder (split hash {data.split_hash}, ladder "
                 f"{ladder['split_hash']}): load it with the ladder's --target/--window, or rerun the ladder")

    torch.manual_seed(0)
    torch.set_num_threads(1)  # a model this small trains fastest on one thread (the ladder's setting too)
    model = create_arch(spec["arch"], **spec["hyperparameters"])
    # one sample as the model takes it: [64] for the linear and MLP rungs (flattened), [1, 8, 8] for a CNN
    shape = spec.get("input_shape") or ([-1] if spec["input"].startswith("each sample flattened") else
                                        list(data.X.shape[1:]))  # model.json from before input_shape
    X = torch.from_numpy(data.X.reshape(len(data.X), *shape))
    y = torch.from_numpy(data.y) if data.classification else torch.from_numpy(data.y).view(-1, 1)
    train, val, test = (torch.from_numpy(i) for i in (data.train, data.val, data.test))
    loss_fn = nn.CrossEntropyLoss() if data.classification else nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=spec["lr"])

    def evaluate(idx: torch.Tensor) -> tuple[float, float | None]:  # loss, and accuracy for classes
        model.eval()
        with torch.no_grad():
            out = model(X[idx])
        model.train()
        acc = float((out.argmax(1) == y[idx]).float().mean()) if data.classification else None
        return float(loss_fn(out, y[idx])), acc

    mon = archwise.Monitor(model, optimizer, every=10, n_train=len(train))    # archwise
    with mon:                                                                  # archwise
        for epoch in range(1, args.epochs + 1):
            for batch in train[torch.randperm(len(train))].split(64):
                loss = loss_fn(model(X[batch]), y[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                mon.step(loss)                                                 # archwise
            (train_loss, train_acc), (val_loss, val_acc) = evaluate(train), evaluate(val)
            mon.log_epoch(train_loss=train_loss, val_loss=val_loss, train_metric=train_acc,   # archwise
                          val_metric=val_acc)
            shown = f" · val accuracy {val_acc * 100:.2f} %" if val_acc is not None else ""
            print(f"epoch {epoch}: train loss {train_loss:.4f} · val loss {val_loss:.4f}{shown}")
    mon.save(args.out)                                                         # archwise
    test_loss, test_acc = evaluate(test)
    score = f"test accuracy {test_acc * 100:.2f} %" if test_acc is not None else \
        f"test MSE {test_loss * data.y_std ** 2:.4g} (the data's units)"
    print(f"{spec['rung']} after {args.epochs} epochs: {score}; wrote {args.out} (archwise diagnose {args.out})")


if __name__ == "__main__":
    main()
