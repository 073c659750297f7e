"""One model per kind of column, each with the same verbs.

- ``analyze(column, ...)`` -> partial statistics of one partition of a column;
- ``reduce(partials, ...)`` -> a fitted column model (the only place real statistics are
  turned into what the model keeps: quantile grids, kept categories; rare values are dropped here);
- ``model.encode(column)`` -> integer codes, ``model.decode(codes, type, rng)`` -> Arrow values;
- ``model.to_state()`` / ``from_state`` -> what a saved model holds.

`fit_column` and `load_column` dispatch on the column's kind.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from lookalike.columns import categorical, numeric
from lookalike.columns.text import NullModel, TextModel
from lookalike.metadata import NUMERIC_KINDS, ColumnSpec


class ColumnModel(Protocol):
    @property
    def n_codes(self) -> int: ...

    def encode(self, column: pa.ChunkedArray) -> np.ndarray: ...

    def decode(self, codes: np.ndarray, arrow_type: pa.DataType, rng: np.random.Generator,
               positions: np.ndarray | None = None) -> pa.Array: ...

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]: ...


def fit_column(spec: ColumnSpec, partitions: list[pa.ChunkedArray], *, n_bins: int,
               rare_threshold: int, rng: np.random.Generator) -> ColumnModel:
    """Analyze every partition of one column and reduce them into its model."""
    if spec.kind in NUMERIC_KINDS:
        return numeric.reduce([numeric.analyze(p, rng) for p in partitions], n_bins)
    if spec.kind in ("categorical", "boolean"):
        arrow_type = partitions[0].type
        return categorical.reduce([categorical.analyze(p) for p in partitions], arrow_type,
                                  rare_threshold, labels=spec.labels)
    if spec.kind == "text":
        return TextModel(spec.replace or "redact")
    return NullModel()


def load_column(spec: ColumnSpec, arrow_type: pa.DataType, state: dict[str, Any],
                arrays: dict[str, np.ndarray]) -> ColumnModel:
    if spec.kind in NUMERIC_KINDS:
        return numeric.NumericModel.from_state(state, arrays)
    if spec.kind in ("categorical", "boolean"):
        return categorical.CategoricalModel.from_state(state, arrays, arrow_type)
    if spec.kind == "text":
        return TextModel.from_state(state, arrays)
    return NullModel()
