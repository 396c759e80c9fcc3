"""One fixed split for every rung and seed, and the scaling fitted on its training part.

    train 65 % · validation 15 % (early stopping, the learning-rate search) · test 20 % (scores)

Stratified by class for classification; in time order for forecasting windows. The split is made
once with a fixed seed and hashed with the data, so a result can be traced to the exact rows it
was scored on.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ArchwiseError
from ..problem import Modality, Task
from .data import Dataset

__all__ = ["Prepared", "prepare", "MIN_SAMPLES", "TEST_FRACTION", "VAL_FRACTION"]

TEST_FRACTION = 0.20
VAL_FRACTION = 0.15  # of the whole; taken from what the test split leaves
MIN_SAMPLES = 20
SPLIT_SEED = 0


@dataclass
class Prepared:
    """The arrays every job trains on (scaled, gaps filled) and the split's indices."""

    name: str
    X: np.ndarray
    y: np.ndarray  # class indices, or targets standardised with the training split's mean and std
    modality: Modality
    task: Task
    outputs: int
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    edge_index: np.ndarray | None = None
    y_mean: float = 0.0  # regression: targets were (y − mean) / std; errors are reported in the data's units
    y_std: float = 1.0
    split_hash: str = ""
    notes: list[str] = field(default_factory=list)
    scaling: dict = field(default_factory=dict)  # how inputs were filled and scaled: apply the same to new data

    @property
    def classification(self) -> bool:
        return self.task == Task.CLASSIFICATION

    @property
    def graph(self) -> bool:
        return self.modality == Modality.GRAPH

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


def _split(ds: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = ds.n
    unit = "nodes" if ds.modality == Modality.GRAPH else "samples"
    if n < MIN_SAMPLES:
        raise ArchwiseError(f"{ds.name} has {n} {unit}, too few to split into train, validation and test; "
                            f"expected at least {MIN_SAMPLES}")
    n_test = math.ceil(n * TEST_FRACTION)
    n_val = math.ceil(n * VAL_FRACTION)
    if ds.chronological:
        idx = np.arange(n)
        return idx[: n - n_test - n_val], idx[n - n_test - n_val: n - n_test], idx[n - n_test:]
    rng = np.random.default_rng(SPLIT_SEED)
    if ds.task == Task.REGRESSION:
        if float(np.ptp(ds.y)) == 0.0:
            raise ArchwiseError(f"{ds.name}'s target is the same value ({float(ds.y[0]):g}) in every sample; there is "
                                "nothing to learn: check the target column")
        idx = rng.permutation(n)
        return np.sort(idx[n_test + n_val:]), np.sort(idx[n_test: n_test + n_val]), np.sort(idx[:n_test])
    if ds.outputs < 2:
        only = ds.classes[0] if ds.classes else "?"
        raise ArchwiseError(f"{ds.name} has a single class ('{only}') in its labels; a classifier needs at least 2: "
                            "check the target column")
    counts = np.bincount(ds.y, minlength=ds.outputs)
    small = [(ds.classes[c] if ds.classes else str(c), int(k)) for c, k in enumerate(counts) if k < 3]
    if small:
        shown = ", ".join(f"'{c}' ({k})" for c, k in small[:4])
        raise ArchwiseError(f"{ds.name} is too small to split: class {shown} has fewer than 3 {unit}, one each "
                            "for train, validation and test; add samples or drop the class")
    # Stratified: each class is shuffled and dealt into test, validation and train in proportion,
    # at least one of each class in every part.
    train, val, test = [], [], []
    for c in range(ds.outputs):
        members = rng.permutation(np.flatnonzero(ds.y == c))
        k = len(members)
        t = min(max(1, round(k * TEST_FRACTION)), k - 2)
        v = min(max(1, round(k * VAL_FRACTION)), k - t - 1)
        test.append(members[:t])
        val.append(members[t: t + v])
        train.append(members[t + v:])
    return tuple(np.sort(np.concatenate(part)) for part in (train, val, test))  # type: ignore[return-value]


def _digest(*arrays: np.ndarray | None) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def prepare(ds: Dataset) -> Prepared:
    """Split ``ds``, fill missing features with the training median, standardise with training statistics.

    Example:
        >>> from archwise.ladder.data import load_data
        >>> p = prepare(load_data("wine"))
        >>> p.sizes(), round(float(p.X[p.train].mean()), 6)
        ({'train': 115, 'val': 27, 'test': 36}, 0.0)
    """
    train, val, test = _split(ds)
    X = ds.X.astype(np.float32).copy()
    notes = list(ds.notes)
    scaling: dict = {"x": "(x - mean) / std, with the training split's statistics"}
    if ds.nan_features:
        flat = X.reshape(len(X), -1)
        median = np.nanmedian(flat[train], axis=0)
        median = np.where(np.isnan(median), 0.0, median)
        rows, cols = np.nonzero(np.isnan(flat))
        flat[rows, cols] = median[cols]
        X = flat.reshape(X.shape)
        scaling["fill_missing_with"] = [float(v) for v in median]  # per flattened feature, before scaling
        total = sum(ds.nan_features.values())
        where = ", ".join(f"{k} ({v})" for k, v in list(ds.nan_features.items())[:6])
        notes.append(f"{total} missing feature value(s), in {where}: filled with the training split's median")
    if ds.modality == Modality.IMAGE:  # one mean and spread for all pixels, as images are usually scaled
        mean, std = X[train].mean(), X[train].std()
        std = std if std > 0 else 1.0
        X = (X - mean) / std
        scaling.update(over="all pixels", mean=float(mean), std=float(std))
    elif ds.modality != Modality.GRAPH:  # per feature (the last axis of a sequence); graphs keep their one-hot ids
        axes = tuple(range(X.ndim - 1))
        sub = X[train]
        mean, std = sub.mean(axis=axes), sub.std(axis=axes)
        std = np.where(std > 0, std, 1.0)
        X = (X - mean) / std
        scaling.update(over="each feature (the last axis)", mean=[float(v) for v in mean], std=[float(v) for v in std])
    else:
        scaling = {"x": "as loaded (one-hot node ids)"}
    y = ds.y
    y_mean, y_std = 0.0, 1.0
    if ds.task == Task.REGRESSION:
        y_mean, y_std = float(ds.y[train].mean()), float(ds.y[train].std()) or 1.0
        y = ((ds.y - y_mean) / y_std).astype(np.float32)
        scaling["y"] = f"the model predicts (y - {y_mean:.6g}) / {y_std:.6g}: multiply by the std and add the mean"
        scaling.update(y_mean=y_mean, y_std=y_std)
    split_hash = _digest(ds.X, ds.y, ds.edge_index, train, val, test)
    return Prepared(ds.name, X.astype(np.float32), y, ds.modality, ds.task, ds.outputs, train, val, test,
                    ds.edge_index, y_mean, y_std, split_hash, notes, scaling)
