"""The similarity filter: its rule on tables with known distances, top-up, options."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pytest

from lookalike import Synthesizer
from lookalike.errors import InvalidOptionError
from lookalike.privacy.filter import (
    FilterOptions,
    SimilarityFilterError,
    calibrate,
    filtered_sample,
    parse_similarity_filter,
    split_holdout,
)
from lookalike.privacy.neighbours import nearest
from lookalike.tabular import to_arrow

TRAIN = pa.table({"x": np.r_[np.arange(100.0), 1_000.0]})  # 0..99 and one outlier
HOLDOUT = pa.table({"x": np.arange(100.0) + 0.5})  # every fresh row 0.5 from the training rows
SPREAD = (np.quantile(TRAIN["x"], 0.75) - np.quantile(TRAIN["x"], 0.25)) / 1.349


def rows(*values: float) -> pa.Table:
    return pa.table({"x": np.asarray(values, dtype=float)})


def repeating(table: pa.Table):
    """A source that returns `table` every round, cut or repeated to the size asked for."""
    def source(count: int, round_: int) -> Iterable[pa.RecordBatch]:
        index = np.arange(count) % table.num_rows
        return table.take(index).to_batches()
    return source


def test_threshold_is_the_quantile_of_holdout_distances() -> None:
    calibration = calibrate(TRAIN, HOLDOUT)
    assert calibration.source == "holdout"
    assert calibration.dcr_threshold == pytest.approx(0.5 / SPREAD, rel=1e-5)  # float32


def test_rows_closer_than_fresh_rows_or_pointing_at_one_row_are_dropped() -> None:
    candidates = rows(10.0, 10.25, 10.5, 50.5, 990.0, 500.0)
    table, report = filtered_sample(repeating(candidates), TRAIN, HOLDOUT, 6,
                                    options=FilterOptions(top_up=False))
    # 10 is a copy, 10.25 closer than any fresh row; 990 is ten times nearer the outlier than
    # anything else (NNDR 0.011); 500 is far from all (NNDR 0.8)
    assert table["x"].to_pylist() == [10.5, 50.5, 500.0]
    assert (report.rows_checked, report.rows_dropped) == (6, 3)
    assert (report.rows_dropped_dcr, report.rows_dropped_nndr) == (2, 1)
    assert report.rows_returned == 3 and report.rounds == 1


def test_dropped_rows_are_topped_up_to_the_count_asked_for() -> None:
    table, report = filtered_sample(repeating(rows(10.0, 20.5)), TRAIN, HOLDOUT, 1_000)
    assert table.num_rows == 1_000 and set(table["x"].to_pylist()) == {20.5}
    assert report.rounds == 2 and report.rows_dropped == report.rows_checked // 2


def test_a_filter_that_keeps_nothing_fails_after_max_rounds() -> None:
    with pytest.raises(SimilarityFilterError, match=r"kept 0 of the 10 rows .* after 3 rounds"):
        filtered_sample(repeating(rows(10.0)), TRAIN, HOLDOUT, 10,
                        options=FilterOptions(max_rounds=3))


def test_without_a_holdout_the_threshold_is_leave_one_out() -> None:
    train = pa.table({"x": np.arange(0.0, 200.0, 2.0)})
    calibration = calibrate(train, None)
    spread = (np.quantile(train["x"], 0.75) - np.quantile(train["x"], 0.25)) / 1.349
    assert calibration.source == "leave_one_out"
    assert calibration.dcr_threshold == pytest.approx(2.0 / spread, rel=1e-5)


def test_nulls_are_part_of_the_distance() -> None:
    train = pa.table({"x": pa.array([1.0, None, 3.0] * 20), "c": ["a", "b", None] * 20})
    calibration = calibrate(train, None)
    assert calibration.dcr_threshold == 0.0  # every training row has copies
    table, _ = filtered_sample(repeating(train.slice(0, 3)), train, None, 3)
    assert table.num_rows == 3


def test_a_synthesizer_is_topped_up_and_nothing_kept_is_too_close(customers_path) -> None:
    real = to_arrow(__import__("pyarrow.csv", fromlist=["x"]).read_csv(customers_path))
    train, holdout = split_holdout(real, seed=1)
    model = Synthesizer(random_state=3).fit(train)
    options = FilterOptions(dcr_quantile=0.2, nndr=0.8)  # strict, so that rows are dropped
    table, report = filtered_sample(model, train, holdout, 700, options=options)
    assert table.num_rows == 700 and report.rows_dropped > 0
    calibration = calibrate(train, holdout, options=options, columns=model.columns_)
    found = nearest(calibration.train_points, calibration.encoder.transform(table), 2)
    assert np.all(found.distances[:, 0] >= report.dcr_threshold)
    again, _ = filtered_sample(model, train, holdout, 700, options=options)
    assert again.equals(table)  # the same model, data and options give the same rows


def test_split_holdout_sizes_and_tiny_tables() -> None:
    table = pa.table({"x": np.arange(1_000)})
    train, holdout = split_holdout(table)
    assert (train.num_rows, holdout.num_rows) == (800, 200)
    assert sorted(train["x"].to_pylist() + holdout["x"].to_pylist()) == list(range(1_000))
    assert split_holdout(table.slice(0, 499))[1] is None


@pytest.mark.parametrize("value, expected", [
    (False, None), (None, None), (True, FilterOptions()),
    ({"dcr_quantile": 0.1}, FilterOptions(dcr_quantile=0.1)),
    ({"nndr": 0.3, "top_up": False, "max_rounds": 4},
     FilterOptions(nndr=0.3, top_up=False, max_rounds=4)),
])
def test_parse_similarity_filter(value, expected) -> None:
    assert parse_similarity_filter(value) == expected


@pytest.mark.parametrize("value, message", [
    ("yes", "similarity_filter must be true, false or a mapping"),
    ({"dcr_quantil": 0.1}, "unknown key 'dcr_quantil'"),
    ({"dcr_quantile": 2}, "similarity_filter.dcr_quantile must be a number from 0 to 1, not 2"),
    ({"nndr": "0.5"}, "similarity_filter.nndr must be a number from 0 to 1, not '0.5'"),
    ({"top_up": 1}, "similarity_filter.top_up must be true or false, not 1"),
    ({"max_rounds": 0}, "similarity_filter.max_rounds must be a whole number >= 1, not 0"),
])
def test_parse_similarity_filter_names_the_key_and_value(value, message) -> None:
    with pytest.raises(InvalidOptionError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_similarity_filter(value)


def test_both_problems_are_reported_at_once() -> None:
    with pytest.raises(InvalidOptionError, match="unknown key 'x'.*nndr must be"):
        parse_similarity_filter({"x": 1, "nndr": -1})
