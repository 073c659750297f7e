"""The columns a report compares, in one form every measure can use.

Each compared column becomes a `Prepared` pair of arrays, one for the real and one for the other
table (synthetic or holdout):

| report kind | lookalike kinds                             | values                                   |
| ----------- | ------------------------------------------- | ---------------------------------------- |
| number      | integer, float, decimal, time, duration     | float64, NaN for NULL                    |
| date        | date, timestamp                             | float64 days since 1970-01-01, NaN       |
| category    | categorical, boolean (and numbers so marked) | int codes shared by both tables, -1 NULL |

Text columns are redacted or faked by the synthesizer, so comparing their values says nothing;
they are skipped, as are columns written as NULL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lookalike.errors import InvalidDataError, UnknownColumnError
from lookalike.metadata import ColumnSpec, detect_columns
from lookalike.tabular import to_arrow

NUMBER, DATE, CATEGORY = "number", "date", "category"
REPORT_KINDS = {
    "integer": NUMBER, "float": NUMBER, "decimal": NUMBER, "time": NUMBER, "duration": NUMBER,
    "date": DATE, "timestamp": DATE, "boolean": CATEGORY, "categorical": CATEGORY,
}
SKIP_REASONS = {
    "text": "text column: redacted or faked in synthetic data, so its values are not compared",
    "null": "written as NULL in every row",
}
NULL_CODE = -1
# Columns given as `columns=` may be names, ColumnSpecs or per-column options.
ColumnsArgument = Sequence[str] | Sequence[ColumnSpec] | Mapping[str, Mapping[str, Any]] | None
# (name, kind, one array per table, category labels): see `encode`
Encoded = tuple[str, str, list[np.ndarray], tuple[str, ...]]


@dataclass(frozen=True)
class Prepared:
    """One column of two tables in the form the measures use (see the module docstring)."""

    name: str
    kind: str
    real: np.ndarray
    other: np.ndarray
    labels: tuple[str, ...] = ()  # category codes -> values

    @property
    def is_category(self) -> bool:
        return self.kind == CATEGORY


def column_kinds(real: pa.Table, columns: ColumnsArgument = None
                 ) -> tuple[dict[str, str], dict[str, str], list[ColumnSpec]]:
    """Report kind of every compared column of `real`, a reason for every skipped one, and the
    specs of the compared columns.

    `columns` restricts and overrides what is detected: a list of names (compare these only), a
    list of `ColumnSpec` (the synthesizer's `columns_`), or per-column options as `Synthesizer`
    takes them ({name: {"kind": ...}}).
    """
    if columns is None or isinstance(columns, Mapping):
        specs = detect_columns(real, columns)
    elif all(isinstance(column, ColumnSpec) for column in columns):
        specs = list(columns)
    else:
        names = [str(name) for name in columns]
        unknown = [name for name in names if name not in real.column_names]
        if unknown:
            raise UnknownColumnError(
                f"no column {unknown[0]!r} in the real table "
                f"(columns: {', '.join(real.column_names)})")
        specs = [spec for spec in detect_columns(real) if spec.name in names]
    kinds, skipped, compared = {}, {}, []
    for spec in specs:
        if spec.kind in REPORT_KINDS:
            kinds[spec.name] = REPORT_KINDS[spec.kind]
            compared.append(spec)
        else:
            skipped[spec.name] = SKIP_REASONS.get(spec.kind, f"kind {spec.kind!r}")
    return kinds, skipped, compared


def as_table(data: Any, role: str) -> pa.Table:
    table = to_arrow(data)
    if table.num_rows == 0:
        raise InvalidDataError(f"the {role} table has no rows; there is nothing to compare")
    return table


def check_columns(table: pa.Table, names: Sequence[str], role: str) -> None:
    missing = [name for name in names if name not in table.column_names]
    if missing:
        raise UnknownColumnError(
            f"the {role} table lacks column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(repr, missing))} of the real table; compare tables of the same shape")


def sample_rows(table: pa.Table, max_rows: int, seed: int) -> pa.Table:
    """At most `max_rows` rows of `table`, drawn uniformly without replacement, in table order."""
    if table.num_rows <= max_rows:
        return table
    rng = np.random.default_rng(seed)
    return table.take(np.sort(rng.choice(table.num_rows, max_rows, replace=False)))


def prepare(real: pa.Table, other: pa.Table, kinds: Mapping[str, str]) -> list[Prepared]:
    """Every column of `kinds`, for `real` and `other` (same column names)."""
    return [Prepared(name, kind, real_values, other_values, labels)
            for name, kind, (real_values, other_values), labels in encode([real, other], kinds)]


def encode(tables: Sequence[pa.Table], kinds: Mapping[str, str]) -> list[Encoded]:
    """(name, kind, one array per table, category labels) for every column of `kinds`;
    category codes are shared by all `tables`."""
    out = []
    for name, kind in kinds.items():
        columns = [table.column(name) for table in tables]
        if kind == CATEGORY:
            codes, labels = _shared_codes(columns)
            out.append((name, kind, codes, labels))
        else:
            out.append((name, kind, [numbers(column, kind) for column in columns], ()))
    return out


def numbers(column: pa.ChunkedArray, kind: str) -> np.ndarray:
    """A number or date column as float64 (dates as days since the epoch), NaN for NULL."""
    arrow_type = column.type
    if pa.types.is_dictionary(arrow_type):
        column = column.cast(arrow_type.value_type)
        arrow_type = column.type
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        column = _parse_text(column, kind)  # e.g. a CSV the reader left as text
        arrow_type = column.type
    scale = 1.0
    if pa.types.is_date(arrow_type):
        column = column.cast(pa.date32()).cast(pa.int32())
    elif pa.types.is_timestamp(arrow_type):
        scale = {"s": 86_400, "ms": 86_400e3, "us": 86_400e6, "ns": 86_400e9}[arrow_type.unit]
        column = column.cast(pa.timestamp(arrow_type.unit)).cast(pa.int64())
    elif pa.types.is_time(arrow_type) or pa.types.is_duration(arrow_type):
        column = column.cast(pa.int64() if arrow_type.bit_width == 64 else pa.int32())
    values = pc.cast(column, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64) / scale


def _parse_text(column: pa.ChunkedArray, kind: str) -> pa.ChunkedArray:
    series = pd.Series(column.to_pylist(), dtype=object)
    if kind == DATE:
        parsed = pd.to_datetime(series, errors="coerce")
        return pa.chunked_array([pa.array(parsed, type=pa.timestamp("ns"))])
    return pa.chunked_array([pa.array(pd.to_numeric(series, errors="coerce"), pa.float64())])


def category_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Category values as strings; booleans as "true"/"false" whatever the table's type."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.string())
    if pa.types.is_large_string(column.type):
        column = column.cast(pa.string())
    return column


def _shared_codes(columns: Sequence[pa.ChunkedArray]
                  ) -> tuple[list[np.ndarray], tuple[str, ...]]:
    """Integer codes for every column over the union of their values (sorted), -1 for NULL."""
    texts = [category_text(column) for column in columns]
    if any(pa.types.is_boolean(column.type) for column in columns):
        texts = [pc.utf8_lower(text) for text in texts]  # True, "true" and "TRUE" are one value
    labels = pc.unique(pa.chunked_array([chunk for text in texts for chunk in text.chunks],
                                        pa.string()))
    labels = labels.filter(pc.is_valid(labels)).sort()
    codes = [
        np.asarray(pc.fill_null(pc.index_in(text, value_set=labels), NULL_CODE).to_numpy(
            zero_copy_only=False), dtype=np.int64)
        for text in texts
    ]
    return codes, tuple(labels.to_pylist())
