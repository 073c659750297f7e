"""Extreme values: the minimum and maximum of a numeric column can each be one person's value
(the single policyholder aged 64). The engine's quantile grid ends at the real minimum and
maximum, so synthetic rows can repeat them.

Top- and bottom-coding, the statistical agencies' remedy: clamp every numeric column to
[the k-th smallest, the k-th largest] real value. At least k real rows then lie at or beyond each
end, so no end point is one person's value. `protect_extremes` does this on a fitted model's
grids (a copy; the model and columns/ are left as they are). Up to k rows' worth of draws
land on each bound instead of beyond it: a spike of at most k/n at each end.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
import pyarrow as pa

from lookalike.columns.numeric import NumericModel, storage_integers
from lookalike.metadata import NUMERIC_KINDS
from lookalike.tabular import to_arrow

DEFAULT_K = 5  # the engine's rare-category threshold: the same "at least 5 people" rule


def extreme_bounds(model: Any, real: Any, k: int = DEFAULT_K) -> dict[str, tuple[float, float]]:
    """Per numeric column of a fitted Synthesizer: (k-th smallest, k-th largest) real value, in
    the model's own units (the units of its quantile grid)."""
    table = to_arrow(real)
    bounds = {}
    for spec, column_model in zip(model.columns_, model.column_models_, strict=True):
        if spec.kind in NUMERIC_KINDS and isinstance(column_model, NumericModel):
            values = np.sort(_model_units(table.column(spec.name), column_model.unit))
            if values.size:
                rank = min(k, values.size) - 1
                bounds[spec.name] = (float(values[rank]), float(values[-1 - rank]))
    return bounds


def protect_extremes(model: Any, real: Any, k: int = DEFAULT_K) -> Any:
    """A copy of a fitted Synthesizer whose numeric grids are clamped to `extreme_bounds`:
    it samples exactly as before except that no value lies beyond the k-th extreme."""
    bounds = extreme_bounds(model, real, k)
    protected = copy.copy(model)
    protected.column_models_ = [
        _clamped(column_model, bounds[spec.name]) if spec.name in bounds else column_model
        for spec, column_model in zip(model.columns_, model.column_models_, strict=True)
    ]
    return protected


def _clamped(column_model: NumericModel, bound: tuple[float, float]) -> NumericModel:
    low, high = bound
    return dataclasses.replace(column_model, grid=np.clip(column_model.grid, low, high))


def _model_units(column: pa.ChunkedArray, unit: int) -> np.ndarray:
    """Valid values as the numeric column model reads them (storage integers // unit for
    temporal columns, float64 for the others)."""
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    integers = storage_integers(column)
    if integers is not None:
        return (integers[valid] // unit).astype(np.float64)
    values = column.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)[valid]
    return values[np.isfinite(values)]
