"""The table GENERATE_SYNTHETIC_DATA returns: how far each column pair's association moved.

One `correlation_coefficient_difference` row per pair of columns of each output table, with
metric_value = |association in the source - association in the output|. The warehouse does not say
which association it uses for strings, booleans and dates; ours, each in [0, 1] or [-1, 1]:

| pair                  | association                                             |
| --------------------- | ------------------------------------------------------- |
| number - number       | Pearson's r (dates, times, timestamps as numbers; booleans as 0/1) |
| category - category   | Cramér's V (without bias correction)                    |
| category - number     | correlation ratio (eta) of the number given the category |

Rows where either value is NULL are left out of a pair. A pair gets a NULL metric_value when its
association is undefined on either side (a constant column, fewer than two rows), or when a
column is not measured: text columns (redacted or faked, so their values say nothing) and
columns written as NULL.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lookalike.io.duckdb import TableName
from lookalike.metadata import is_string_type, physical_kind

METRIC_TYPE = "correlation_coefficient_difference"
METRIC_COLUMNS = (
    "created_on", "table_name", "table_schema", "table_database", "columns",
    "source_table_name", "source_table_schema", "source_table_database", "source_columns",
    "metric_type", "metric_value",
)
NUMBER, CATEGORY = "number", "category"


def correlation_metrics(
    source: pa.Table, output: pa.Table, *, source_name: TableName, output_name: TableName,
    created_on: datetime, unmeasured: Collection[str] = (),
) -> pd.DataFrame:
    """The metric rows of one output table (same column names as its source)."""
    roles = {name: _role(source.schema.field(name).type, name in unmeasured)
             for name in source.column_names}
    source_values = {name: _values(source.column(name), role) for name, role in roles.items()}
    output_values = {name: _values(output.column(name), role) for name, role in roles.items()}
    rows = []
    for a, b in itertools.combinations(source.column_names, 2):
        before = association(source_values[a], source_values[b], roles[a], roles[b])
        after = association(output_values[a], output_values[b], roles[a], roles[b])
        difference = None if before is None or after is None else abs(before - after)
        rows.append((
            created_on, output_name.table, output_name.schema, output_name.database, f"{a},{b}",
            source_name.table, source_name.schema, source_name.database, f"{a},{b}",
            METRIC_TYPE, difference,
        ))
    frame = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    frame["metric_value"] = frame["metric_value"].astype("float64")
    return frame


def association(x: pd.Series | None, y: pd.Series | None, x_role: str | None,
                y_role: str | None) -> float | None:
    """The association of two columns by their roles, or None when undefined."""
    if x is None or y is None or x_role is None or y_role is None:
        return None
    both = pd.DataFrame({"x": x.to_numpy(), "y": y.to_numpy()}).dropna()
    if len(both) < 2:
        return None
    if x_role == NUMBER and y_role == NUMBER:
        value = pearson(both["x"].to_numpy(float), both["y"].to_numpy(float))
    elif x_role == CATEGORY and y_role == CATEGORY:
        value = cramers_v(both["x"], both["y"])
    elif x_role == CATEGORY:
        value = correlation_ratio(both["x"], both["y"].to_numpy(float))
    else:
        value = correlation_ratio(both["y"], both["x"].to_numpy(float))
    return None if value is None or not np.isfinite(value) else float(value)


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    x, y = x - x.mean(), y - y.mean()
    scale = np.sqrt((x * x).sum() * (y * y).sum())
    return None if scale == 0 else float((x * y).sum() / scale)


def cramers_v(x: pd.Series, y: pd.Series) -> float | None:
    counts = pd.crosstab(x, y).to_numpy(float)
    if min(counts.shape) < 2:
        return None
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True) / counts.sum()
    chi2 = ((counts - expected) ** 2 / expected).sum()
    return float(np.sqrt(chi2 / (counts.sum() * (min(counts.shape) - 1))))


def correlation_ratio(categories: pd.Series, numbers: np.ndarray) -> float | None:
    """eta: the share of the number's spread explained by the category, as a square root."""
    total = ((numbers - numbers.mean()) ** 2).sum()
    if total == 0:
        return None
    groups = pd.Series(numbers).groupby(categories.to_numpy())
    between = (groups.count() * (groups.mean() - numbers.mean()) ** 2).sum()
    return float(np.sqrt(between / total))


def _role(arrow_type: pa.DataType, unmeasured: bool) -> str | None:
    if unmeasured:
        return None
    if is_string_type(arrow_type):
        return CATEGORY
    kind = physical_kind(arrow_type)
    if kind in ("integer", "float", "decimal", "date", "time", "timestamp", "duration",
                "boolean"):
        return NUMBER
    return None


def _values(column: pa.ChunkedArray, role: str | None) -> pd.Series | None:
    """The column as a pandas Series the association functions can use: numbers as float64
    (temporal values as their integer count of units since the epoch), categories as objects."""
    if role is None:
        return None
    if role == CATEGORY:
        return pd.Series(column.to_pylist(), dtype=object)
    if pa.types.is_decimal(column.type) or pa.types.is_boolean(column.type):
        column = pc.cast(column, pa.float64())
    elif not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        column = _temporal_as_integers(column)
    return pd.Series(column.to_numpy(zero_copy_only=False), dtype="float64")


def _temporal_as_integers(column: pa.ChunkedArray) -> pa.ChunkedArray:
    storage = {32: pa.int32(), 64: pa.int64()}[column.type.bit_width]
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        column = pc.cast(column, pa.timestamp(column.type.unit))
    return pc.cast(column, storage)
