"""The mixed-type distance: each column's contribution, as documented in privacy/distance.py."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from lookalike.metadata import ColumnSpec
from lookalike.privacy.distance import fit_encoder, robust_spread


def _distance(encoder, table: pa.Table, i: int, j: int) -> float:
    points = encoder.transform(table)
    return float(np.linalg.norm(points[i] - points[j]))


def test_numbers_are_scaled_by_the_robust_spread() -> None:
    values = np.arange(1_000, dtype=float)
    spread = (np.quantile(values, 0.75) - np.quantile(values, 0.25)) / 1.349
    table = pa.table({"x": values})
    encoder = fit_encoder(table)
    assert encoder.numeric[0].spread == pytest.approx(spread)
    probe = pa.table({"x": [100.0, 100.0 + spread]})
    assert _distance(encoder, probe, 0, 1) == pytest.approx(1.0, rel=1e-5)


def test_one_outlier_does_not_shrink_the_scale() -> None:
    assert robust_spread(np.r_[np.arange(100.0), 1e9]) == pytest.approx(
        robust_spread(np.arange(101.0)), rel=0.05)


def test_spread_falls_back_to_std_then_one() -> None:
    spike = np.r_[np.zeros(99), 10.0]
    assert robust_spread(spike) == pytest.approx(np.std(spike))
    assert robust_spread(np.full(10, 3.0)) == 1.0


def test_a_category_mismatch_counts_one() -> None:
    table = pa.table({"c": ["a", "b", "a", None, None], "flag": [True, True, False, True, True]})
    encoder = fit_encoder(table)
    assert _distance(encoder, table, 0, 1) == pytest.approx(1.0)  # c differs
    assert _distance(encoder, table, 0, 2) == pytest.approx(1.0)  # flag differs
    assert _distance(encoder, table, 1, 2) == pytest.approx(np.sqrt(2.0))  # both differ
    assert _distance(encoder, table, 3, 4) == pytest.approx(0.0)  # NULL vs NULL
    assert _distance(encoder, table, 0, 3) == pytest.approx(1.0)  # value vs NULL


def test_unseen_and_rare_values_share_the_other_slot() -> None:
    train = pa.table({"c": ["a"] * 10 + ["b"] * 10})
    encoder = fit_encoder(train)
    probe = pa.table({"c": ["_RARE_", "never seen", "a"]})
    assert _distance(encoder, probe, 0, 1) == 0.0
    assert _distance(encoder, probe, 0, 2) == pytest.approx(1.0)


def test_numeric_null_costs_one_plus_the_value_from_the_median() -> None:
    train = pa.table({"x": np.arange(100.0)})
    encoder = fit_encoder(train)
    center, spread = encoder.numeric[0].center, encoder.numeric[0].spread
    probe = pa.table({"x": pa.array([None, center, center + spread, None], pa.float64())})
    assert _distance(encoder, probe, 0, 1) == pytest.approx(1.0)
    assert _distance(encoder, probe, 0, 2) == pytest.approx(np.sqrt(2.0), rel=1e-5)
    assert _distance(encoder, probe, 0, 3) == 0.0


def test_dates_and_timestamps_are_numbers() -> None:
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(100)]
    table = pa.table({"d": days, "t": [dt.datetime(2020, 1, 1) + dt.timedelta(days=i)
                                       for i in range(100)]})
    encoder = fit_encoder(table)
    assert [c.name for c in encoder.numeric] == ["d", "t"]
    assert encoder.numeric[0].spread == pytest.approx(encoder.numeric[1].spread)
    assert np.allclose(encoder.transform(table)[:, 0], encoder.transform(table)[:, 2], atol=1e-5)


def test_text_null_and_excluded_columns_are_ignored() -> None:
    table = pa.table({"id": [1, 2, 3], "name": ["x", "y", "z"], "c": ["a", "a", "b"],
                      "n": pa.nulls(3)})
    specs = [ColumnSpec("id", "integer"), ColumnSpec("name", "text", "redact"),
             ColumnSpec("c", "categorical"), ColumnSpec("n", "null")]
    encoder = fit_encoder(table, specs, exclude={"id"})
    assert encoder.columns == ["c"]
    assert set(encoder.ignored) == {"id", "name", "n"}
    assert encoder.transform(table).shape == (3, encoder.n_coordinates)


def test_columns_are_detected_when_not_given() -> None:
    table = pa.table({"x": [1.0, 2.0, 3.0, 4.0, 5.0], "c": ["a", "b", "a", "b", "a"],
                      "free": ["p", "q", "r", "s", "t"]})
    encoder = fit_encoder(table)
    assert encoder.columns == ["x", "c"]
    assert encoder.ignored == ("free",)


def test_pandas_input_gives_the_same_points() -> None:
    table = pa.table({"x": [1.0, 2.0, None, 4.0], "c": ["a", None, "a", "b"]})
    encoder = fit_encoder(table)
    assert np.array_equal(encoder.transform(table), encoder.transform(table.to_pandas()))
