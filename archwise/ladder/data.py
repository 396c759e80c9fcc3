"""What ``archwise ladder`` trains on: a table, an array archive or a bundled dataset, read into one
``Dataset`` with its modality and task inferred (and the inference said).

    CSV / TSV / Parquet   tabular; ``target`` names the label column; text columns with few
                          values are one-hot encoded, others refused
    .npz with X and y     N×F tabular · N×C×H×W images · N×H×W images when H = W ≥ 8, else
                          N×T×F sequences
    bundled names         digits (8×8 images), breast_cancer, wine, diabetes (regression),
                          sunspots, nile (statsmodels series: the next value from a window),
                          karate (networkx: node classification)

Missing labels are refused; missing feature values are counted and reported, and filled later
with the training split's median (never silently dropped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ArchwiseError, did_you_mean
from ..problem import Modality, Task, _enum

__all__ = ["Dataset", "load_data", "BUNDLED", "MAX_CATEGORIES", "MAX_CLASSES"]

MAX_CATEGORIES = 20  # a text feature column with at most this many values is one-hot encoded
MAX_CLASSES = 20  # an integer target with at most this many values is read as class labels
TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")


@dataclass
class Dataset:
    """Features and labels in the layout the modality's models take, before any split."""

    name: str
    X: np.ndarray  # float32: tabular N×F · images N×C×H×W · sequences N×T×F · graph nodes N×F
    y: np.ndarray  # int64 class indices, or float32 targets
    modality: Modality
    task: Task
    inferred: str  # how modality and task were decided, in words
    classes: list[str] | None = None  # class names (classification)
    edge_index: np.ndarray | None = None  # graphs: 2×E int64
    chronological: bool = False  # forecasting windows: split in time order, never shuffled
    feature_names: list[str] | None = None
    notes: list[str] = field(default_factory=list)  # what was done to the data, said to the user
    nan_features: dict[str, int] = field(default_factory=dict)  # feature → missing values

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def outputs(self) -> int:
        return len(self.classes) if self.classes is not None else 1

    def describe(self) -> str:
        shape = "×".join(str(d) for d in self.X.shape[1:])
        what = f"{len(self.classes)} classes" if self.classes is not None else "regression target"
        unit = "nodes" if self.modality == Modality.GRAPH else "samples"
        return f"{self.name}: {self.n:,} {unit} of {shape}, {what}"


def load_data(source: str | Path, *, target: str | None = None, modality: str | None = None,
              task: str | None = None, window: int = 16) -> Dataset:
    """Read ``source`` (a path or a bundled name) into a :class:`Dataset`.

    Args:
        source: a CSV/TSV/Parquet/.npz path, or a bundled dataset name (``BUNDLED``).
        target: the label column of a table (required for tables).
        modality: override the inferred modality (image, sequence, timeseries, graph, tabular).
        task: override the inferred task (classification or regression).
        window: steps per forecasting window for a bundled time series.

    Example:
        >>> ds = load_data("wine")
        >>> ds.modality.value, ds.task.value, ds.X.shape, ds.outputs
        ('tabular', 'classification', (178, 13), 3)
    """
    forced_modality = _enum(Modality, modality, "modality") if modality is not None else None
    forced_task = _enum(Task, task, "task") if task is not None else None
    if forced_modality == Modality.TEXT:
        raise ArchwiseError("ladder does not train on token ids (text) yet; give tabular, image, sequence, "
                            "timeseries or graph data")
    name = str(source)
    path = Path(name)
    if name in BUNDLED and not path.exists():
        ds = BUNDLED[name](window)
        if target is not None:
            raise ArchwiseError(f"--target is for tables; the bundled '{name}' dataset has its own labels")
        if forced_modality is not None and forced_modality != ds.modality:
            raise ArchwiseError(f"the bundled '{name}' dataset is {ds.modality.value} data, not "
                                f"{forced_modality.value}; leave out --modality")
        if forced_task is not None and forced_task != ds.task:
            raise ArchwiseError(f"the bundled '{name}' dataset is a {ds.task.value} problem; leave out --task")
        return ds
    if not path.exists():
        raise ArchwiseError(f"DATA '{name}' is neither a file nor a bundled dataset; expected a .csv, .tsv, "
                            f".parquet or .npz file, or one of {', '.join(BUNDLED)}{did_you_mean(name, BUNDLED)}")
    if path.is_dir():
        raise ArchwiseError(f"DATA '{name}' is a folder; expected a .csv, .tsv, .parquet or .npz file")
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        if forced_modality not in (None, Modality.TABULAR):
            raise ArchwiseError(f"a table is tabular data; --modality {forced_modality.value} needs an .npz file "
                                "with the samples' array X")
        return _table(path, target, forced_task)
    if suffix == ".npz":
        if target is not None:
            raise ArchwiseError(f"--target is for tables; '{name}' is an .npz archive whose labels are the array y")
        return _npz(path, forced_modality, forced_task)
    raise ArchwiseError(f"cannot read '{name}': unknown suffix '{path.suffix or '(none)'}'; expected .csv, .tsv, "
                        ".parquet or .npz (arrays X and y), or a bundled dataset name")


# ---- tables -----------------------------------------------------------------------------------


def _read_table(path: Path) -> Any:
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None:  # pandas reads Parquet through it
            raise ArchwiseError("reading Parquet needs pyarrow: pip install 'archwise[parquet]' (or pyarrow), "
                                "or give the table as CSV")
        try:
            return pd.read_parquet(path)
        except Exception as err:  # pyarrow raises its own types for a file that is not Parquet
            raise ArchwiseError(f"'{path}' is not a readable Parquet file ({_first(err)}); expected a Parquet "
                                "table, or rename it to its real suffix") from None
    head = path.read_bytes()[:8192]
    looks = _sniff(head)
    if looks or b"\0" in head:
        what = f" (it looks like {looks})" if looks else ""
        raise ArchwiseError(f"'{path}' is not a text table{what}; expected a comma-separated table with a header "
                            "row, or rename the file to its real suffix")
    try:
        frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    except UnicodeDecodeError:
        raise ArchwiseError(f"'{path}' is not a text table (it holds bytes that are not UTF-8 text); expected a "
                            "comma-separated table with a header row, or rename it to its real suffix") from None
    except Exception as err:  # pandas' ParserError, EmptyDataError
        raise ArchwiseError(f"cannot read '{path}' as {'TSV' if suffix == '.tsv' else 'CSV'} ({_first(err)}); "
                            "expected a table with a header row") from None
    if frame.shape[1] < 2:
        sep = "tab" if suffix == ".tsv" else "comma"
        raise ArchwiseError(f"'{path}' reads as a table of {frame.shape[1]} column(s); expected a header row and "
                            f"{sep}-separated columns, the features and the target")
    return frame


def _sniff(head: bytes) -> str:
    """What a file's first bytes say it is, when it is a binary format people mix up."""
    if head.startswith(b"PAR1"):
        return "a Parquet file"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive, such as .npz"
    if head.startswith(b"\x93NUMPY"):
        return "a .npy array"
    return ""


def _first(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _table(path: Path, target: str | None, forced_task: Task | None) -> Dataset:
    import pandas as pd

    frame = _read_table(path)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    if target is None:
        raise ArchwiseError(f"a table needs its label column: give --target COLUMN; '{path.name}' has columns "
                            f"{_list(columns)}")
    if target not in columns:
        raise ArchwiseError(f"column '{target}' is not in '{path.name}'; its columns are {_list(columns)}"
                            f"{did_you_mean(target, columns)}")
    labels = frame[target]
    missing = labels.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        shown = ", ".join(str(r + 2) for r in rows[:5]) + (", …" if len(rows) > 5 else "")
        raise ArchwiseError(f"{len(rows)} row(s) of '{target}' have no label (NaN), at line(s) {shown}; drop or "
                            "fill them first (archwise does not guess labels)")
    y, classes, task, why = _labels(labels.to_numpy(), target, forced_task)
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise ArchwiseError(f"'{path.name}' has no feature columns besides the target '{target}'")
    blocks, names, notes = [], [], []
    nan_features: dict[str, int] = {}
    for col in features.columns:
        series = features[col]
        if pd.api.types.is_bool_dtype(series):
            series = series.astype(float)
        if pd.api.types.is_numeric_dtype(series):
            values = series.to_numpy(dtype=np.float64)
            if np.isinf(values).any():
                raise ArchwiseError(f"column '{col}' holds infinite values; replace them (or drop the rows) first")
            blocks.append(values[:, None])
            names.append(col)
            if np.isnan(values).any():
                nan_features[col] = int(np.isnan(values).sum())
            continue
        text = series.astype("string")
        values = sorted(text.dropna().unique().tolist())
        if len(values) > MAX_CATEGORIES:
            example = ", ".join(repr(v) for v in values[:2])
            raise ArchwiseError(f"column '{col}' is not numeric and has {len(values):,} distinct values (e.g. "
                                f"{example}); archwise one-hot encodes text columns of at most {MAX_CATEGORIES} "
                                "values: drop the column or encode it as numbers first")
        for v in values:
            blocks.append((text == v).fillna(False).to_numpy(dtype=np.float64)[:, None])
            names.append(f"{col}={v}")
        if text.isna().any():
            notes.append(f"column '{col}': {int(text.isna().sum())} missing value(s) encoded as no category")
        notes.insert(0, f"column '{col}' is text: one-hot encoded into {len(values)} columns")
    X = np.concatenate(blocks, axis=1).astype(np.float32)
    return Dataset(path.name, X, y, Modality.TABULAR, task, f"a table → tabular; target '{target}': {why}",
                   classes, feature_names=names, notes=notes, nan_features=nan_features)


def _list(columns: list[str], n: int = 12) -> str:
    return ", ".join(columns[:n]) + (f", … ({len(columns)} in all)" if len(columns) > n else "")


def _labels(values: np.ndarray, what: str, forced: Task | None) -> tuple[np.ndarray, list[str] | None, Task, str]:
    """Labels as class indices or float targets, the task, and why."""
    numeric = values.dtype.kind in "biuf"
    if not numeric:
        if forced == Task.REGRESSION:
            raise ArchwiseError(f"'{what}' holds text labels, which cannot be regression targets; leave out "
                                "--task regression or give numbers")
        classes = sorted({str(v) for v in values})
        index = {c: i for i, c in enumerate(classes)}
        return (np.array([index[str(v)] for v in values], dtype=np.int64), classes, Task.CLASSIFICATION,
                f"text labels, {len(classes)} classes → classification")
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        raise ArchwiseError(f"'{what}' holds {int((~np.isfinite(values)).sum())} missing or infinite label(s); "
                            "drop or fill them first (archwise does not guess labels)")
    whole = bool(np.all(values == np.round(values)))
    distinct = np.unique(values)
    if forced == Task.CLASSIFICATION or (forced is None and whole and len(distinct) <= MAX_CLASSES):
        if not whole:
            raise ArchwiseError(f"'{what}' holds fractional values, which cannot be class labels; leave out "
                                "--task classification for regression")
        index = {v: i for i, v in enumerate(distinct)}
        why = (f"{len(distinct)} distinct whole-number labels → classification (pass --task regression if they "
               "are amounts)") if forced is None else "classification (--task)"
        return (np.array([index[v] for v in values], dtype=np.int64), [f"{v:g}" for v in distinct],
                Task.CLASSIFICATION, why)
    why = ("regression (--task)" if forced is not None else
           f"{len(distinct):,} distinct numeric values → regression (pass --task classification for labels)")
    return values.astype(np.float32), None, Task.REGRESSION, why


# ---- arrays -----------------------------------------------------------------------------------


def _npz(path: Path, forced: Modality | None, forced_task: Task | None) -> Dataset:
    import zipfile

    try:
        archive = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise ArchwiseError(f"'{path}' is not an .npz archive ({_first(err)}); expected numpy.savez(path, X=..., "
                            "y=...)") from None
    if not hasattr(archive, "files"):
        raise ArchwiseError(f"'{path}' holds a single array, not an .npz archive; save it with numpy.savez(path, "
                            "X=..., y=...)")
    keys = list(archive.files)
    if "X" not in keys or "y" not in keys:
        raise ArchwiseError(f"'{path.name}' must hold arrays named X and y; found {', '.join(keys) or 'none'}")
    try:
        X, y = archive["X"], archive["y"]
    except ValueError as err:  # object arrays need pickle, which is refused
        raise ArchwiseError(f"cannot read X and y from '{path.name}' ({_first(err)}); save numeric arrays") from None
    if X.dtype.kind not in "biuf":
        raise ArchwiseError(f"X in '{path.name}' is {X.dtype}, not numbers; encode the features as numbers first")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ArchwiseError(f"y in '{path.name}' has shape {y.shape}; expected one label per sample (N,)")
    if len(X) != len(y):
        raise ArchwiseError(f"'{path.name}' holds {len(X)} samples in X but {len(y)} labels in y; expected one "
                            "label per sample")
    if X.ndim < 2 or X.ndim > 4:
        raise ArchwiseError(f"X in '{path.name}' has shape {X.shape}; expected N×F (tabular), N×T×F (sequences), "
                            "N×H×W or N×C×H×W (images)")
    if np.isinf(X).any():
        raise ArchwiseError(f"X in '{path.name}' holds infinite values; replace them first")
    if y.dtype.kind in "f" and np.isnan(y).any():
        rows = np.flatnonzero(np.isnan(y))
        raise ArchwiseError(f"{len(rows)} label(s) in y are NaN (samples {', '.join(map(str, rows[:5]))}"
                            f"{', …' if len(rows) > 5 else ''}); drop or fill them first (archwise does not guess "
                            "labels)")
    modality, why = _array_modality(X.shape, forced)
    if modality == Modality.IMAGE and X.ndim == 3:
        X = X[:, None]
    if modality in (Modality.SEQUENCE, Modality.TIMESERIES) and X.ndim == 2:
        X = X[:, :, None]
    if modality == Modality.TABULAR and X.ndim > 2:
        X = X.reshape(len(X), -1)
    if modality == Modality.GRAPH:
        raise ArchwiseError("an .npz archive holds no edges; graphs come bundled (karate) in this version")
    labels, classes, task, task_why = _labels(y, "y", forced_task)
    X = X.astype(np.float32)
    nan = int(np.isnan(X).sum())
    nan_features = {"X": nan} if nan else {}
    ordered = modality == Modality.TIMESERIES  # windows of one series overlap: split in time order, no leakage
    if ordered:
        why += "; split in time order (rows are taken as consecutive windows)"
    return Dataset(path.name, X, labels, modality, task, f"{why}; y: {task_why}", classes, chronological=ordered,
                   nan_features=nan_features)


def _array_modality(shape: tuple[int, ...], forced: Modality | None) -> tuple[Modality, str]:
    dims = "×".join(map(str, shape[1:]))
    if forced is not None:
        ok = {Modality.TABULAR: (2, 3, 4), Modality.IMAGE: (3, 4), Modality.SEQUENCE: (2, 3),
              Modality.TIMESERIES: (2, 3), Modality.GRAPH: (2,)}[forced]
        if len(shape) not in ok:
            raise ArchwiseError(f"X of shape {shape} cannot be {forced.value} data; expected "
                                + {Modality.IMAGE: "N×C×H×W or N×H×W", Modality.SEQUENCE: "N×T×F or N×T",
                                   Modality.TIMESERIES: "N×T×F or N×T", Modality.TABULAR: "N×F",
                                   Modality.GRAPH: "N×F node features"}[forced])
        return forced, f"X is N×{dims}; {forced.value} (--modality)"
    if len(shape) == 2:
        return Modality.TABULAR, f"X is N×{dims} → tabular (pass --modality sequence if each row is a series)"
    if len(shape) == 4:
        return Modality.IMAGE, f"X is N×{dims} → images N×C×H×W"
    h, w = shape[1], shape[2]
    if h == w and h >= 8:
        return Modality.IMAGE, f"X is N×{dims} with square {h}×{w} samples → grayscale images (pass --modality " \
                               "sequence if they are series)"
    return Modality.SEQUENCE, f"X is N×{dims} → sequences of {h} steps × {w} features (pass --modality image " \
                              "if they are images)"


# ---- bundled ----------------------------------------------------------------------------------


def _sklearn(name: str, task: Task) -> Any:
    def load(window: int) -> Dataset:
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{name}")()
        X = np.asarray(bunch.data, dtype=np.float32)
        if task == Task.CLASSIFICATION:
            classes = [str(c) for c in getattr(bunch, "target_names", np.unique(bunch.target))]
            y = np.asarray(bunch.target, dtype=np.int64)
            why = f"bundled scikit-learn table → tabular, {len(classes)} classes"
        else:
            classes, y = None, np.asarray(bunch.target, dtype=np.float32)
            why = "bundled scikit-learn table → tabular, regression"
        return Dataset(name, X, y, Modality.TABULAR, task, why, classes,
                       feature_names=[str(f) for f in bunch.feature_names])
    return load


def _digits(window: int) -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = np.asarray(bunch.images, dtype=np.float32)[:, None] / 16.0
    return Dataset("digits", X, np.asarray(bunch.target, dtype=np.int64), Modality.IMAGE, Task.CLASSIFICATION,
                   "bundled scikit-learn images → image, 1×8×8, 10 classes", [str(d) for d in range(10)])


def _series(name: str, column: str, what: str) -> Any:
    def load(window: int) -> Dataset:
        import importlib

        if window < 2:
            raise ArchwiseError(f"--window must be at least 2 steps, found {window}")
        try:
            module = importlib.import_module(f"statsmodels.datasets.{name}")
        except ImportError:
            raise ArchwiseError("the bundled time series need statsmodels: pip install statsmodels") from None
        series = np.asarray(module.load_pandas().data[column], dtype=np.float64)
        if len(series) < window + 20:
            raise ArchwiseError(f"'{name}' has {len(series)} values; a window of {window} leaves too few samples; "
                                "give a smaller --window")
        X = np.lib.stride_tricks.sliding_window_view(series[:-1], window)[:, :, None].astype(np.float32)
        y = series[window:].astype(np.float32)
        return Dataset(name, X, y, Modality.TIMESERIES, Task.REGRESSION,
                       f"bundled statsmodels series ({what}, {len(series)} values) → timeseries: the next value "
                       f"from the previous {window}, split in time order", chronological=True,
                       notes=[f"windows of {window} steps; train, validation and test follow each other in time"])
    return load


def _karate(window: int) -> Dataset:
    import networkx as nx

    graph = nx.karate_club_graph()
    nodes = sorted(graph.nodes)
    clubs = sorted({graph.nodes[n]["club"] for n in nodes})
    y = np.array([clubs.index(graph.nodes[n]["club"]) for n in nodes], dtype=np.int64)
    edges = np.array([(u, v) for u, v in graph.edges] + [(v, u) for u, v in graph.edges], dtype=np.int64).T
    X = np.eye(len(nodes), dtype=np.float32)
    return Dataset("karate", X, y, Modality.GRAPH, Task.CLASSIFICATION,
                   f"bundled networkx graph → graph: {len(nodes)} nodes, {graph.number_of_edges()} edges, node "
                   f"classification into {len(clubs)} clubs", clubs, edge_index=edges,
                   notes=["karate's nodes have no features: each node's feature is its one-hot id, so only the "
                          "graph can tell unseen nodes apart"])


BUNDLED = {
    "digits": _digits,
    "breast_cancer": _sklearn("breast_cancer", Task.CLASSIFICATION),
    "wine": _sklearn("wine", Task.CLASSIFICATION),
    "diabetes": _sklearn("diabetes", Task.REGRESSION),
    "sunspots": _series("sunspots", "SUNACTIVITY", "yearly sunspot numbers 1700–2008"),
    "nile": _series("nile", "volume", "yearly Nile flow 1871–1970"),
    "karate": _karate,
}
