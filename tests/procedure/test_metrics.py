"""The metrics table: its shape, and its values on small tables with known associations."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from lookalike.io.duckdb import TableName
from lookalike.procedure.metrics import (
    METRIC_COLUMNS,
    correlation_metrics,
    correlation_ratio,
    cramers_v,
    pearson,
)

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SOURCE = TableName("lab", "DATA", "T")
OUTPUT = TableName("lab", "DATA", "T_SYNTHETIC")


def metrics(source: pa.Table, output: pa.Table, unmeasured: tuple[str, ...] = ()) -> pd.DataFrame:
    return correlation_metrics(source, output, source_name=SOURCE, output_name=OUTPUT,
                               created_on=NOW, unmeasured=unmeasured)


def test_the_association_measures_on_known_cases() -> None:
    x = np.arange(10.0)
    assert pearson(x, 2 * x + 1) == pytest.approx(1.0)
    assert pearson(x, -x) == pytest.approx(-1.0)
    assert pearson(x, np.ones(10)) is None
    same = pd.Series(list("abab"))
    assert cramers_v(same, same) == pytest.approx(1.0)
    assert cramers_v(pd.Series(list("aabb")), pd.Series(list("abab"))) == pytest.approx(0.0)
    assert correlation_ratio(pd.Series(list("aabb")), np.array([1.0, 1, 5, 5])) == (
        pytest.approx(1.0))
    assert correlation_ratio(pd.Series(list("abab")), np.array([1.0, 1, 5, 5])) == (
        pytest.approx(0.0))


def test_one_row_per_column_pair_with_the_procedure_columns() -> None:
    source = pa.table({"A": [1, 2, 3, 4], "B": [2, 4, 6, 8], "C": ["x", "x", "y", "y"]})
    output = pa.table({"A": [1, 2, 3, 4], "B": [8, 6, 4, 2], "C": ["x", "y", "x", "y"]})
    frame = metrics(source, output)
    assert list(frame.columns) == list(METRIC_COLUMNS)
    assert frame["columns"].tolist() == ["A,B", "A,C", "B,C"]
    assert frame["source_columns"].tolist() == ["A,B", "A,C", "B,C"]
    assert set(frame["metric_type"]) == {"correlation_coefficient_difference"}
    assert frame.loc[0, ["table_database", "table_schema", "table_name"]].tolist() == [
        "lab", "DATA", "T_SYNTHETIC"]
    assert frame.loc[0, ["source_table_database", "source_table_schema",
                         "source_table_name"]].tolist() == ["lab", "DATA", "T"]
    assert frame["created_on"].tolist() == [NOW] * 3
    # A,B: r goes from 1 to -1. A,C and B,C: eta goes from sqrt(0.8) (x below y) to sqrt(0.2).
    eta_change = np.sqrt(0.8) - np.sqrt(0.2)
    assert frame["metric_value"].tolist() == pytest.approx([2.0, eta_change, eta_change])


def test_booleans_dates_and_decimals_are_numbers_and_nulls_are_left_out() -> None:
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(4)]
    source = pa.table({
        "D": pa.array(days, pa.date32()),
        "F": pa.array([False, False, True, True]),
        "M": pa.array([1, 2, 3, None], pa.decimal128(5, 2)),
    })
    frame = metrics(source, source)
    assert frame["metric_value"].tolist() == [0.0, 0.0, 0.0]


def test_unmeasured_and_constant_columns_get_no_value() -> None:
    source = pa.table({"A": [1, 2, 3], "T": ["p", "q", "r"], "K": [1, 1, 1]})
    output = pa.table({"A": [1, 2, 3], "T": ["[REDACTED]"] * 3, "K": [1, 1, 1]})
    frame = metrics(source, output, unmeasured=("T",))
    assert frame["columns"].tolist() == ["A,T", "A,K", "T,K"]
    assert frame["metric_value"].isna().all()
