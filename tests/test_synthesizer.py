"""The Synthesizer estimator: dependencies kept, determinism, any row count, pandas and Arrow in
and out, save and load, and the errors it raises (exact texts)."""

from __future__ import annotations

import json
import zipfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from lookalike import LookalikeError, Synthesizer, __version__
from lookalike.errors import (
    InvalidDataError,
    InvalidOptionError,
    ModelFileError,
    NotFittedError,
    UnknownColumnError,
)
from lookalike.metadata import SPEC_VERSION

NOT_FITTED = "this Synthesizer is not fitted yet: call fit(data) first"


def _mixed_frame(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """One column of every pandas dtype a user is likely to have."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2020-01-01")
    return pd.DataFrame({
        "count": rng.integers(0, 100, rows),
        "nullable_int": pd.array(np.where(rng.random(rows) < 0.1, None, rng.integers(0, 5, rows)),
                                 dtype="Int64"),
        "price": np.round(rng.lognormal(3, 1, rows), 2),
        "flag": rng.random(rows) < 0.4,
        "nullable_flag": pd.array(np.where(rng.random(rows) < 0.1, None, rng.random(rows) < 0.5),
                                  dtype="boolean"),
        "colour": rng.choice(["red", "green", "blue"], rows),
        "size": pd.Categorical(rng.choice(["S", "M", "L"], rows)),
        "label": pd.array(rng.choice(["x", "y"], rows), dtype="string"),
        "at": start + pd.to_timedelta(rng.integers(0, 10**7, rows), unit="s"),
        "at_london": pd.to_datetime(rng.integers(1.5e9, 1.6e9, rows), unit="s", utc=True)
        .tz_convert("Europe/London"),
        "wait": pd.to_timedelta(rng.integers(0, 1_000, rows), unit="min"),
        "note": [f"note {i} {rng.integers(10**6)}" for i in range(rows)],
    })


@pytest.fixture(scope="module")
def mixed_frame() -> pd.DataFrame:
    return _mixed_frame()


@pytest.fixture(scope="module")
def mixed_model(mixed_frame) -> Synthesizer:
    return Synthesizer(random_state=7).fit(mixed_frame)


@pytest.fixture(scope="module")
def arrow_table() -> pa.Table:
    rng = np.random.default_rng(1)
    rows = 500
    return pa.table({
        "id": pa.array(rng.integers(0, 2**32, rows), pa.uint32()),
        "amount": pa.array([Decimal(int(c)).scaleb(-2) for c in rng.integers(0, 10**8, rows)],
                           pa.decimal128(12, 2)),
        "day": pa.array(rng.integers(18_000, 19_000, rows).astype(np.int32)).cast(pa.date32()),
        "at": pa.array(rng.integers(0, 10**15, rows)).cast(pa.timestamp("us", tz="Europe/London")),
        "kind": pa.array(rng.choice(["a", "b", "c"], rows)).dictionary_encode(),
        "ratio": pa.array(rng.random(rows).astype(np.float32)),
        "nothing": pa.nulls(rows),
    }, metadata={b"owner": b"claims team"})


# -- dependencies -----------------------------------------------------------------------------

def test_a_function_of_a_category_stays_so():
    rng = np.random.default_rng(2)
    rows = 1_500
    base = {"parked": 5_000, "theft": 6_500, "single": 60_000, "multi": 65_000}
    kind = rng.choice(list(base), rows, p=[0.1, 0.1, 0.4, 0.4])
    frame = pd.DataFrame({
        "kind": kind,
        "fee": [base[k] // 100 for k in kind],  # exactly a function of kind
        "claim": np.round([base[k] * rng.lognormal(0, 0.15) for k in kind], -1),
        "noise": rng.normal(size=rows),
    })
    synthetic = Synthesizer(random_state=1).fit(frame).sample(5_000)
    expected_fee = synthetic["kind"].map({k: v // 100 for k, v in base.items()})
    assert (synthetic["fee"] == expected_fee).mean() >= 0.9
    medians = synthetic.groupby("kind")["claim"].median()
    for name, value in base.items():
        assert medians[name] == pytest.approx(value, rel=0.2)


def test_a_column_equal_to_twice_another_stays_correlated():
    rng = np.random.default_rng(3)
    x = rng.normal(100, 15, 2_000)
    frame = pd.DataFrame({"x": x, "y": 2 * x, "other": rng.normal(size=2_000)})
    synthetic = Synthesizer(random_state=1).fit(frame).sample(5_000)
    assert np.corrcoef(synthetic["x"], synthetic["y"])[0, 1] > 0.9
    assert abs(np.corrcoef(synthetic["x"], synthetic["other"])[0, 1]) < 0.1
    assert np.median(np.abs(synthetic["y"] - 2 * synthetic["x"])) < 0.15 * np.std(2 * x)


def test_a_deterministic_category_mapping_is_kept():
    rng = np.random.default_rng(4)
    country = {"Paris": "FR", "Lyon": "FR", "Berlin": "DE", "Munich": "DE", "Rome": "IT",
               "Madrid": "ES", "Lisbon": "PT", "Vienna": "AT"}
    city = rng.choice(list(country), 1_200)
    frame = pd.DataFrame({"city": city, "country": [country[c] for c in city],
                          "spend": np.round(rng.gamma(2, 50, 1_200), 2)})
    synthetic = Synthesizer(random_state=1).fit(frame).sample(4_000)
    assert (synthetic["city"].map(country) == synthetic["country"]).mean() >= 0.9


def test_synthetic_rows_are_not_copies_of_real_rows():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.normal(size=800), "y": rng.exponential(size=800),
                          "group": rng.choice(["a", "b"], 800)})
    synthetic = Synthesizer(random_state=1).fit(frame).sample(2_000)
    copies = synthetic.merge(frame, on=["x", "y", "group"], how="inner")
    assert len(copies) == 0


# -- determinism ------------------------------------------------------------------------------

def test_same_data_and_seed_give_identical_rows(mixed_frame):
    first = Synthesizer(random_state=11).fit(mixed_frame).sample(1_000)
    second = Synthesizer(random_state=11).fit(mixed_frame.copy()).sample(1_000)
    pd.testing.assert_frame_equal(first, second, check_exact=True)


def test_same_arrow_data_and_seed_give_identical_tables(arrow_table):
    first = Synthesizer(random_state=11).fit(arrow_table).sample(700)
    second = Synthesizer(random_state=11).fit(arrow_table).sample(700)
    assert first.equals(second, check_metadata=True)


def test_another_seed_gives_other_rows(mixed_frame):
    first = Synthesizer(random_state=11).fit(mixed_frame).sample(200)
    other = Synthesizer(random_state=12).fit(mixed_frame).sample(200)
    assert not first.equals(other)
    assert not first["price"].equals(other["price"])


def test_repeated_samples_are_identical_and_random_state_changes_them(mixed_model):
    pd.testing.assert_frame_equal(mixed_model.sample(300), mixed_model.sample(300))
    assert not mixed_model.sample(300).equals(mixed_model.sample(300, random_state=99))
    pd.testing.assert_frame_equal(mixed_model.sample(300, random_state=99),
                                  mixed_model.sample(300, random_state=99))


def test_without_random_state_the_drawn_seed_is_kept(mixed_frame, tmp_path):
    model = Synthesizer().fit(mixed_frame)
    assert isinstance(model.seed_, int)
    path = model.save(tmp_path / "model.lookalike")
    pd.testing.assert_frame_equal(Synthesizer.load(path).sample(200), model.sample(200))


def test_fit_uses_at_most_max_fit_rows_deterministically():
    frame = _mixed_frame(rows=2_000, seed=6)
    first = Synthesizer(random_state=3, max_fit_rows=300).fit(frame)
    second = Synthesizer(random_state=3, max_fit_rows=300).fit(frame)
    assert first.n_rows_ == 2_000
    pd.testing.assert_frame_equal(first.sample(), second.sample())


# -- row counts, types ------------------------------------------------------------------------

@pytest.mark.parametrize("rows", [1, 10, 6_000])
def test_pandas_in_pandas_out_with_the_same_dtypes(mixed_model, mixed_frame, rows):
    synthetic = mixed_model.sample(rows)
    assert isinstance(synthetic, pd.DataFrame)
    assert len(synthetic) == rows
    assert list(synthetic.columns) == list(mixed_frame.columns)
    assert synthetic.dtypes.to_dict() == mixed_frame.dtypes.to_dict()
    assert synthetic.index.equals(pd.RangeIndex(rows))


def test_zero_rows_keep_the_pandas_dtypes(mixed_model, mixed_frame):
    """Categorical columns included: an empty sample still carries their categories."""
    synthetic = mixed_model.sample(0)
    assert isinstance(synthetic, pd.DataFrame) and len(synthetic) == 0
    assert list(synthetic.columns) == list(mixed_frame.columns)
    assert synthetic.dtypes.to_dict() == mixed_frame.dtypes.to_dict()


def test_default_row_count_is_the_real_row_count(mixed_model, mixed_frame):
    assert len(mixed_model.sample()) == len(mixed_frame)


@pytest.mark.parametrize("rows", [0, 1, 5_000])
def test_arrow_in_arrow_out_with_an_identical_schema(arrow_table, rows):
    synthetic = Synthesizer(random_state=2).fit(arrow_table).sample(rows)
    assert isinstance(synthetic, pa.Table)
    assert synthetic.num_rows == rows
    assert synthetic.schema.equals(arrow_table.schema, check_metadata=True)


def test_record_batches_are_accepted(arrow_table):
    batch = arrow_table.to_batches()[0]
    synthetic = Synthesizer(random_state=2).fit(batch).sample(10)
    assert isinstance(synthetic, pa.Table)
    assert synthetic.schema.equals(arrow_table.schema)


def test_sample_batches_stream_the_same_rows_in_bounded_batches(arrow_table):
    model = Synthesizer(random_state=2, batch_size=300).fit(arrow_table)
    batches = list(model.sample_batches(1_000))
    assert [batch.num_rows for batch in batches] == [300, 300, 300, 100]
    assert pa.Table.from_batches(batches).equals(model.sample(1_000))


def test_columns_and_kinds_are_recorded(mixed_model):
    kinds = {spec.name: spec.kind for spec in mixed_model.columns_}
    assert kinds == {
        "count": "integer", "nullable_int": "integer", "price": "float", "flag": "boolean",
        "nullable_flag": "boolean", "colour": "categorical", "size": "categorical",
        "label": "categorical", "at": "timestamp", "at_london": "timestamp",
        "wait": "duration", "note": "text",
    }


def test_column_options_are_applied(mixed_frame):
    model = Synthesizer(random_state=1, columns={
        "note": {"replace": "email"}, "colour": {"categorical": False},
        "count": {"kind": "categorical"},
    }).fit(mixed_frame)
    synthetic = model.sample(300)
    assert synthetic["note"].str.fullmatch(r"[a-z]+\.[a-z]+\d+@[a-z.]+").all()
    assert (synthetic["colour"] == "[REDACTED]").all()
    assert set(synthetic["count"]) <= set(mixed_frame["count"])


# -- save and load ----------------------------------------------------------------------------

def test_save_and_load_give_identical_samples(mixed_model, tmp_path):
    path = mixed_model.save(tmp_path / "model.lookalike")
    assert path == tmp_path / "model.lookalike"
    loaded = Synthesizer.load(path)
    pd.testing.assert_frame_equal(loaded.sample(), mixed_model.sample(), check_exact=True)
    pd.testing.assert_frame_equal(loaded.sample(2_000, random_state=3),
                                  mixed_model.sample(2_000, random_state=3), check_exact=True)
    assert loaded.columns_ == mixed_model.columns_


def test_save_and_load_of_an_arrow_model(arrow_table, tmp_path):
    model = Synthesizer(random_state=4, columns={"kind": {"categorical": True}}).fit(arrow_table)
    loaded = Synthesizer.load(model.save(str(tmp_path / "arrow.model")))
    assert loaded.sample(1_000).equals(model.sample(1_000), check_metadata=True)
    assert loaded.columns == {"kind": {"categorical": True}}


def test_a_saved_model_holds_no_real_text_and_no_rare_category(tmp_path):
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({
        "email": [f"person{i}.{rng.integers(10**9)}@corp.example" for i in range(300)],
        "city": ["Leeds"] * 150 + ["York"] * 148 + ["Tiny Hamlet"] * 2,
        "x": rng.normal(size=300),
    })
    path = Synthesizer(random_state=1).fit(frame).save(tmp_path / "model.lookalike")
    with zipfile.ZipFile(path) as archive:
        contents = b"".join(archive.read(name) for name in archive.namelist())
    assert b"Tiny Hamlet" not in contents
    assert b"corp.example" not in contents
    assert b"Leeds" in contents  # the check can see strings: frequent categories are kept


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def test_load_of_a_file_that_is_not_a_model(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a model")
    with pytest.raises(ModelFileError) as caught:
        Synthesizer.load(text)
    assert str(caught.value) == f"{text} is not a lookalike model file (File is not a zip file)"


def test_load_of_a_missing_file(tmp_path):
    with pytest.raises(ModelFileError) as caught:
        Synthesizer.load(tmp_path / "missing.lookalike")
    assert str(caught.value) == f"no model file at {tmp_path / 'missing.lookalike'}"


def test_load_of_another_zip_file(tmp_path):
    path = _zip(tmp_path / "other.zip", {"readme.txt": b"hello"})
    with pytest.raises(ModelFileError) as caught:
        Synthesizer.load(path)
    assert str(caught.value).startswith(f"{path} is not a lookalike model file (")


def test_load_of_a_model_of_another_version(mixed_model, tmp_path):
    saved = mixed_model.save(tmp_path / "model.lookalike")
    with zipfile.ZipFile(saved) as archive:
        manifest = json.loads(archive.read("model.json"))
        arrays = archive.read("arrays.npz")
    manifest["spec_version"] = 99
    path = _zip(tmp_path / "future.lookalike",
                {"model.json": json.dumps(manifest).encode(), "arrays.npz": arrays})
    with pytest.raises(ModelFileError) as caught:
        Synthesizer.load(path)
    assert str(caught.value) == (
        f"{path} was written with model format version 99; this lookalike {__version__} reads "
        f"version {SPEC_VERSION}: refit the model"
    )


def test_load_of_a_zip_whose_manifest_is_not_a_lookalike_manifest(mixed_model, tmp_path):
    with zipfile.ZipFile(mixed_model.save(tmp_path / "model.lookalike")) as archive:
        arrays = archive.read("arrays.npz")
    path = _zip(tmp_path / "foreign.zip",
                {"model.json": b'{"format": "something-else"}', "arrays.npz": arrays})
    with pytest.raises(ModelFileError) as caught:
        Synthesizer.load(path)
    assert str(caught.value) == f"{path} is not a lookalike model file"


@pytest.mark.parametrize("make", ["folder", "empty_arrays"])
def test_load_of_unreadable_files_raises_model_file_error(make, tmp_path):
    if make == "folder":
        path = tmp_path
    else:
        path = _zip(tmp_path / "broken.lookalike",
                    {"model.json": b'{"format": "lookalike-model"}', "arrays.npz": b""})
    with pytest.raises(ModelFileError) as caught:
        Synthesizer.load(path)
    assert str(caught.value).startswith(f"{path} is not a lookalike model file (")


def test_load_of_a_truncated_manifest_raises_model_file_error(mixed_model, tmp_path):
    with zipfile.ZipFile(mixed_model.save(tmp_path / "model.lookalike")) as archive:
        arrays = archive.read("arrays.npz")
    manifest = json.dumps({"format": "lookalike-model", "spec_version": SPEC_VERSION})
    path = _zip(tmp_path / "truncated.lookalike",
                {"model.json": manifest.encode(), "arrays.npz": arrays})
    with pytest.raises(ModelFileError):
        Synthesizer.load(path)


# -- estimator conventions and errors ---------------------------------------------------------

def test_init_only_stores_parameters():
    model = Synthesizer(n_bins=-3, smoothing=-1.0, columns={"nope": {}})
    assert model.n_bins == -3 and model.smoothing == -1.0
    assert not [name for name in vars(model) if name.endswith("_")]


def test_fit_returns_the_fitted_estimator(mixed_frame):
    model = Synthesizer(random_state=1)
    assert model.fit(mixed_frame) is model
    assert {"schema_", "columns_", "column_models_", "chain_", "seed_", "n_rows_"} <= set(
        vars(model))


@pytest.mark.parametrize("use", [
    lambda model: model.sample(),
    lambda model: next(iter(model.sample_batches(5))),
    lambda model: model.save("never-written.lookalike"),
])
def test_not_fitted(use, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NotFittedError) as caught:
        use(Synthesizer())
    assert str(caught.value) == NOT_FITTED
    assert not (tmp_path / "never-written.lookalike").exists()


@pytest.mark.parametrize("data, message", [
    (pd.DataFrame({"a": pd.Series([], dtype="int64")}),
     "the table is empty: there is nothing to learn from"),
    (pd.DataFrame(), "the table has no columns"),
    (pd.DataFrame({"a": [1, 2, 3] * 50}),
     "the table has 3 distinct rows; at least 20 are needed to learn from it without copying"),
    (pd.DataFrame({"a": list(range(19)) * 3, "b": ["x"] * 57}),
     "the table has 19 distinct rows; at least 20 are needed to learn from it without copying"),
    ([1, 2, 3], "expected a pandas DataFrame or a pyarrow Table, got list"),
    (pd.DataFrame([[1, 2]] * 30, columns=["a", "a"]),
     "the table has duplicate column names: ['a']"),
    (pd.DataFrame({0: range(30)}), "column names must be strings; 0 is not"),
])
def test_data_errors(data, message):
    with pytest.raises(InvalidDataError) as caught:
        Synthesizer(random_state=1).fit(data)
    assert str(caught.value) == message


def test_twenty_distinct_rows_are_enough():
    frame = pd.DataFrame({"a": list(range(20)) * 3})
    assert len(Synthesizer(random_state=1).fit(frame).sample(5)) == 5


def test_distinct_rows_ignore_columns_that_come_out_null():
    frame = pd.DataFrame({"a": [1, 2] * 30, "tags": [[i] for i in range(60)]})
    with pytest.raises(InvalidDataError) as caught:
        Synthesizer(random_state=1, columns={"tags": {"kind": "null"}}).fit(frame)
    assert str(caught.value) == (
        "the table has 2 distinct rows; at least 20 are needed to learn from it without copying"
    )


def test_a_column_of_mixed_types_is_named():
    frame = pd.DataFrame({"ok": range(30), "mixed": [1, "a", 2.5] * 10})
    with pytest.raises(InvalidDataError) as caught:
        Synthesizer(random_state=1).fit(frame)
    assert str(caught.value).startswith("column 'mixed' mixes values of different types (")
    assert str(caught.value).endswith("); give it one type before synthesising")


def test_unknown_column_in_options(mixed_frame):
    with pytest.raises(UnknownColumnError) as caught:
        Synthesizer(columns={"colour_": {"kind": "text"}}).fit(mixed_frame)
    assert str(caught.value) == (
        "no column 'colour_' in the table (did you mean 'colour'?) (columns: count, "
        "nullable_int, price, flag, nullable_flag, colour, size, label, at, at_london, wait, "
        "note)"
    )


@pytest.mark.parametrize("parameters, message", [
    ({"n_bins": 1}, "parameter out of range: n_bins=1"),
    ({"smoothing": -1.0, "min_leaf": 0},
     "parameter out of range: min_leaf=0, smoothing=-1.0"),
    ({"rare_category_threshold": 0}, "parameter out of range: rare_category_threshold=0"),
    ({"max_fit_rows": 19, "batch_size": 0},
     "parameter out of range: max_fit_rows=19, batch_size=0"),
])
def test_parameter_errors(mixed_frame, parameters, message):
    with pytest.raises(InvalidOptionError) as caught:
        Synthesizer(**parameters).fit(mixed_frame)
    assert str(caught.value) == message


@pytest.mark.parametrize("rows", [-1, 2.5, "10"])
def test_row_count_errors(mixed_model, rows):
    with pytest.raises(InvalidOptionError) as caught:
        mixed_model.sample(rows)
    assert str(caught.value) == f"n_rows must be a whole number >= 0, not {rows!r}"


def test_every_error_is_a_lookalike_error(mixed_frame):
    for call in (lambda: Synthesizer().sample(),
                 lambda: Synthesizer().fit(pd.DataFrame()),
                 lambda: Synthesizer(columns={"x": {}}).fit(mixed_frame)):
        with pytest.raises(LookalikeError):
            call()


def test_sample_rejects_a_boolean_row_count(mixed_model):
    with pytest.raises(InvalidOptionError, match="n_rows must be a whole number >= 0, not True"):
        mixed_model.sample(True)


def test_sample_batches_checks_its_arguments_when_called(mixed_model):
    with pytest.raises(NotFittedError):
        Synthesizer().sample_batches(5)  # no iteration: the check is eager
    with pytest.raises(InvalidOptionError):
        mixed_model.sample_batches(-1)
