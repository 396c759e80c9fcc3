"""Every loader and modality of ``archwise ladder``, and the bad input it refuses (one line, exit 2)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from archwise.cli import app
from archwise.errors import ArchwiseError
from archwise.ladder.data import BUNDLED, load_data
from archwise.ladder.prepare import prepare
from archwise.problem import Modality, Task


# ---- bundled -----------------------------------------------------------------------------------

def test_digits_is_images_of_one_channel():
    from sklearn.datasets import load_digits

    ds = load_data("digits")
    assert ds.modality == Modality.IMAGE and ds.task == Task.CLASSIFICATION
    assert ds.X.shape == (1797, 1, 8, 8) and ds.outputs == 10
    np.testing.assert_allclose(ds.X[5, 0] * 16, load_digits().images[5])  # scaled to [0, 1], nothing else


@pytest.mark.parametrize("name, classes, features", [("breast_cancer", 2, 30), ("wine", 3, 13)])
def test_bundled_tables(name, classes, features):
    ds = load_data(name)
    assert ds.modality == Modality.TABULAR and ds.task == Task.CLASSIFICATION
    assert ds.X.shape[1] == features and ds.outputs == classes and len(ds.feature_names) == features


def test_diabetes_is_regression():
    ds = load_data("diabetes")
    assert ds.task == Task.REGRESSION and ds.classes is None and ds.X.shape == (442, 10)


@pytest.mark.parametrize("name", ["sunspots", "nile"])
def test_series_are_windows_forecasting_the_next_value(name):
    import importlib

    module = importlib.import_module(f"statsmodels.datasets.{name}")
    series = np.asarray(module.load_pandas().data.iloc[:, -1], dtype=np.float32)
    ds = load_data(name, window=8)
    assert ds.modality == Modality.TIMESERIES and ds.task == Task.REGRESSION and ds.chronological
    assert ds.X.shape == (len(series) - 8, 8, 1)
    np.testing.assert_allclose(ds.X[3, :, 0], series[3:11])
    assert ds.y[3] == pytest.approx(series[11])


def test_series_split_in_time_order():
    p = prepare(load_data("sunspots"))
    assert p.train.max() < p.val.min() and p.val.max() < p.test.min()


def test_karate_is_node_classification_on_the_graph():
    import networkx as nx

    ds = load_data("karate")
    g = nx.karate_club_graph()
    assert ds.modality == Modality.GRAPH and ds.X.shape == (34, 34) and ds.outputs == 2
    assert ds.edge_index.shape == (2, 2 * g.number_of_edges())  # both directions
    assert set(map(tuple, ds.edge_index.T)) >= {(0, 1), (1, 0)}


def test_bundled_names_are_listed_in_the_error():
    with pytest.raises(ArchwiseError, match="neither a file nor a bundled dataset.*digits.*did you mean 'digits'"):
        load_data("digts")


def test_bundled_refuses_a_conflicting_modality():
    with pytest.raises(ArchwiseError, match="is image data, not tabular"):
        load_data("digits", modality="tabular")


# ---- tables ------------------------------------------------------------------------------------

def _csv(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_text_features_one_hot_and_text_labels(tmp_path):
    rows = ["size,colour,label"] + [f"{i},{'red' if i % 2 else 'blue'},{'yes' if i % 3 else 'no'}" for i in range(30)]
    ds = load_data(_csv(tmp_path, "\n".join(rows)), target="label")
    assert ds.modality == Modality.TABULAR and ds.task == Task.CLASSIFICATION and ds.classes == ["no", "yes"]
    assert ds.feature_names == ["size", "colour=blue", "colour=red"]
    assert ds.X[1].tolist() == [1.0, 0.0, 1.0]
    assert any("one-hot encoded into 2 columns" in n for n in ds.notes)


def test_integer_labels_are_classes_and_floats_are_regression(tmp_path):
    rows = ["a,b,y"] + [f"{i},{i * 2},{i % 4}" for i in range(30)]
    assert load_data(_csv(tmp_path, "\n".join(rows)), target="y").task == Task.CLASSIFICATION
    rows = ["a,b,y"] + [f"{i},{i * 2},{i * 0.37:.3f}" for i in range(30)]
    ds = load_data(_csv(tmp_path, "\n".join(rows), "r.csv"), target="y")
    assert ds.task == Task.REGRESSION and "regression" in ds.inferred
    assert load_data(_csv(tmp_path, "\n".join(["a,y"] + [f"{i},{i % 4}" for i in range(30)]), "f.csv"), target="y",
                     task="regression").task == Task.REGRESSION


def test_tsv_and_parquet(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"x1": np.arange(40.0), "x2": np.arange(40.0) ** 2, "y": np.arange(40) % 2})
    frame.to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    a = load_data(tmp_path / "t.tsv", target="y")
    b = load_data(tmp_path / "t.parquet", target="y")
    np.testing.assert_array_equal(a.X, b.X)
    assert a.X.shape == (40, 2) and b.outputs == 2


def test_nan_features_are_reported_and_filled_with_the_training_median(tmp_path):
    values = np.arange(40.0)
    rows = ["a,b,y"] + [f"{'' if i in (3, 7) else v},{v * 2},{i % 2}" for i, v in enumerate(values)]
    ds = load_data(_csv(tmp_path, "\n".join(rows)), target="y")
    assert ds.nan_features == {"a": 2}
    p = prepare(ds)
    assert any("2 missing feature value(s), in a (2): filled with the training split's median" in n for n in p.notes)
    train_a = np.delete(values, [3, 7])[np.isin(np.delete(np.arange(40), [3, 7]), p.train)]
    median = np.median(train_a)
    filled = np.where(np.isnan(ds.X[:, 0]), median, ds.X[:, 0])  # then standardised with training statistics
    mean, std = filled[p.train].mean(), filled[p.train].std()
    assert p.X[3, 0] == pytest.approx((median - mean) / std, abs=1e-5)
    assert not np.isnan(p.X).any() and len(p.X) == 40  # nothing dropped


# ---- arrays ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, modality, stored", [
    ((50, 6), Modality.TABULAR, (50, 6)),
    ((50, 12, 12), Modality.IMAGE, (50, 1, 12, 12)),  # square samples: grayscale images
    ((50, 20, 3), Modality.SEQUENCE, (50, 20, 3)),  # otherwise steps × features
    ((50, 3, 10, 10), Modality.IMAGE, (50, 3, 10, 10)),
])
def test_npz_modality_is_inferred_from_the_shape(tmp_path, shape, modality, stored):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.normal(size=shape), y=np.arange(shape[0]) % 3)
    ds = load_data(tmp_path / "d.npz")
    assert ds.modality == modality and ds.X.shape == stored and ds.outputs == 3
    assert "→" in ds.inferred


def test_npz_modality_can_be_forced(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.zeros((30, 12, 12)), y=np.arange(30) % 2)
    forced = load_data(tmp_path / "d.npz", modality="sequence")
    assert forced.X.shape == (30, 12, 12) and not forced.chronological
    series = load_data(tmp_path / "d.npz", modality="timeseries")  # overlapping windows: split in time order
    assert series.chronological and "time order" in series.inferred
    p = prepare(series)
    assert p.train.max() < p.val.min() and p.val.max() < p.test.min()


# ---- bad input: one line, exit 2 ---------------------------------------------------------------

def _bad(tmp_path):
    rng = np.random.default_rng(0)
    cases = {}
    (tmp_path / "ok.csv").write_text("\n".join(["a,b,y"] + [f"{i},{i},{i % 2}" for i in range(30)]))
    cases["no target"] = (["ok.csv"], "needs its label column: give --target COLUMN; 'ok.csv' has columns a, b, y")
    cases["unknown target"] = (["ok.csv", "--target", "label"], "column 'label' is not in 'ok.csv'")
    (tmp_path / "bytes.csv").write_bytes(bytes(range(256)) * 4)
    cases["binary .csv"] = (["bytes.csv", "--target", "y"], "is not a text table")
    (tmp_path / "text.parquet").write_text("a,b\n1,2\n")
    cases["csv named .parquet"] = (["text.parquet", "--target", "b"], "is not a readable Parquet file")
    (tmp_path / "text.npz").write_text("a,b\n1,2\n")
    cases["csv named .npz"] = (["text.npz"], "is not an .npz archive")
    names = ["\n".join(["name,a,y"] + [f"person {i},{i},{i % 2}" for i in range(30)])]
    (tmp_path / "names.csv").write_text(names[0])
    cases["free text feature"] = (["names.csv", "--target", "y"],
                                  "column 'name' is not numeric and has 30 distinct values")
    (tmp_path / "tiny.csv").write_text("\n".join(["a,y"] + [f"{i},{i % 2}" for i in range(10)]))
    cases["too small"] = (["tiny.csv", "--target", "y"], "too few to split into train, validation and test")
    (tmp_path / "rare.csv").write_text("\n".join(["a,y"] + [f"{i},{0 if i < 28 else 1}" for i in range(30)]))
    cases["rare class"] = (["rare.csv", "--target", "y"], "too small to split: class '1' (2) has fewer than 3 samples")
    (tmp_path / "nanlabel.csv").write_text("\n".join(["a,y"] + [f"{i},{'' if i == 4 else i % 2}" for i in range(30)]))
    cases["NaN label in a table"] = (["nanlabel.csv", "--target", "y"],
                                     "1 row(s) of 'y' have no label (NaN), at line(s) 6")
    (tmp_path / "one.csv").write_text("\n".join(["a,y"] + [f"{i},1" for i in range(30)]))
    cases["one class"] = (["one.csv", "--target", "y"], "has a single class ('1') in its labels")
    (tmp_path / "flat.csv").write_text("\n".join(["a,y"] + [f"{i},2.5" for i in range(30)]))
    cases["constant target"] = (["flat.csv", "--target", "y", "--task", "regression"],
                                "target is the same value (2.5) in every sample")
    y = (np.arange(30) % 2).astype(float)
    y[[2, 5]] = np.nan
    np.savez(tmp_path / "nanlabel.npz", X=rng.normal(size=(30, 4)), y=y)
    cases["NaN label in an archive"] = (["nanlabel.npz"], "2 label(s) in y are NaN (samples 2, 5)")
    np.savez(tmp_path / "nokeys.npz", features=np.zeros((30, 2)))
    cases["archive without X and y"] = (["nokeys.npz"], "must hold arrays named X and y; found features")
    np.savez(tmp_path / "mismatch.npz", X=np.zeros((30, 2)), y=np.zeros(29))
    cases["X and y lengths differ"] = (["mismatch.npz"], "30 samples in X but 29 labels in y")
    (tmp_path / "data.txt").write_text("1,2\n")
    cases["unknown suffix"] = (["data.txt"], "unknown suffix '.txt'")
    cases["missing file"] = (["nothere.csv"], "neither a file nor a bundled dataset")
    return cases


def test_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for what, (args, expected) in _bad(tmp_path).items():
        result = runner.invoke(app, ["ladder", *args, "--workers", "1"])
        assert result.exit_code == 2, (what, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (what, result.output)
        assert expected in lines[0], (what, lines[0])


def test_bundled_names_cover_the_issue():
    assert {"digits", "breast_cancer", "wine", "diabetes", "sunspots", "karate"} <= set(BUNDLED)
