"""Columns on a number line: integers, floats, decimals, dates, times, timestamps, durations.

Every such column is read as float64 in its own *unit* (days for dates, the coarsest whole unit
for timestamps and times, e.g. seconds when every value is a whole second), so one model serves
them all. The model is a quantile grid of the real values and a set of bins over it:

- encode: value -> bin code (code 0 is NULL); bins are quantile bins, or one bin per value when
  the column has few distinct values (counts, flags, hours of the day).
- decode: bin code -> a value drawn from the real distribution inside that bin, by inverse
  transform on the quantile grid, interpolated for continuous columns, then rounded to the
  column's step (decimal places, or round numbers such as multiples of 10) and cast back to the
  column's Arrow type.

analyze() runs on one partition and keeps a bounded sample; reduce() merges partitions, so
the same code runs on one machine or many.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NULL_CODE = 0
SAMPLE_SIZE = 20_000  # values kept per partition
GRID_SIZE = 2_048  # points of the stored quantile function
DISTINCT_LIMIT = 256  # partitions count values exactly up to this many distinct ones
_MAX_DECIMALS = 6
# How far, relative to its size, a value read as float64 may sit from the decimal it stands for:
# float32 (and float16) columns hold about 7 significant digits, float64 and decimals about 16;
# integers and temporal values are read exactly.
_NARROW_FLOAT_TOLERANCE = 1e-6
_FLOAT_TOLERANCE = 1e-12

# Whole units a temporal column may be counted in, in seconds.
_TIME_UNITS_SECONDS = (1e-9, 1e-6, 1e-3, 1.0, 60.0, 3600.0, 86400.0)
_UNIT_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


@dataclass
class NumericPartial:
    """What one partition contributes: counts, a uniform sample, exact counts when few."""

    rows: int
    nulls: int
    sample: np.ndarray  # float64 values in the column's unit, a uniform sample
    distinct: dict[float, int] | None  # exact value counts, None when too many
    unit: int  # storage integers per unit (temporal kinds), 1 otherwise
    tolerance: float = _FLOAT_TOLERANCE  # relative error of the values as read


def storage_integers(column: pa.ChunkedArray) -> np.ndarray | None:
    """The integers a temporal column is stored as (None for other types); NULL as 0."""
    arrow_type = column.type
    if pa.types.is_date32(arrow_type) or pa.types.is_time32(arrow_type):
        storage = pa.int32()
    elif pa.types.is_temporal(arrow_type):
        storage = pa.int64()
    else:
        return None
    return pc.fill_null(column.cast(storage), 0).to_numpy().astype(np.int64)


def analyze(column: pa.ChunkedArray, rng: np.random.Generator) -> NumericPartial:
    """Statistics of one partition of a numeric or temporal column."""
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    integers = storage_integers(column)
    if integers is not None:
        unit = _temporal_unit(column.type, integers[valid])
        values = (integers[valid] // unit).astype(np.float64)
    else:
        unit = 1
        # unsafe: integers beyond 2**53 are kept to float64 precision rather than refused
        values = column.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)[valid]
    values = values[np.isfinite(values)]
    distinct_values, counts = np.unique(values, return_counts=True)
    distinct = (
        dict(zip(distinct_values.tolist(), counts.tolist(), strict=True))
        if len(distinct_values) <= DISTINCT_LIMIT
        else None
    )
    if len(values) > SAMPLE_SIZE:
        values = rng.choice(values, SAMPLE_SIZE, replace=False)
    return NumericPartial(len(column), int((~valid).sum()), np.sort(values), distinct, unit,
                          _tolerance(column.type))


def _tolerance(arrow_type: pa.DataType) -> float:
    if pa.types.is_floating(arrow_type):
        return _NARROW_FLOAT_TOLERANCE if arrow_type.bit_width < 64 else _FLOAT_TOLERANCE
    return _FLOAT_TOLERANCE if pa.types.is_decimal(arrow_type) else 0.0


def _temporal_unit(arrow_type: pa.DataType, integers: np.ndarray) -> int:
    """The coarsest whole unit (second, minute, day, ...) that every stored value is a multiple of.
    Dates are already whole days."""
    if pa.types.is_date32(arrow_type) or integers.size == 0:
        return 1
    resolution = 1e-3 if pa.types.is_date64(arrow_type) else _UNIT_SECONDS[arrow_type.unit]
    largest = 3600.0 if pa.types.is_time(arrow_type) else 86400.0
    unit = 1
    for seconds in _TIME_UNITS_SECONDS:
        if seconds > largest:
            break
        candidate = round(seconds / resolution)
        if candidate >= 1 and np.all(integers % candidate == 0):
            unit = max(unit, candidate)
    return unit


def reduce(partials: list[NumericPartial], n_bins: int) -> NumericModel:
    """Merge the partitions' statistics into one column model."""
    unit = int(np.gcd.reduce([p.unit for p in partials])) if partials else 1
    samples, weights = [], []
    for partial in partials:
        if len(partial.sample):
            rescaled = partial.sample * (partial.unit // unit)
            samples.append(rescaled)
            weights.append(np.full(len(rescaled), (partial.rows - partial.nulls) / len(rescaled)))
    values = np.concatenate(samples) if samples else np.zeros(0)
    weight = np.concatenate(weights) if weights else np.zeros(0)
    distinct = _merge_distinct(partials, unit)
    if distinct is not None and len(distinct) <= n_bins:
        points = _protect_discrete_extremes(distinct)
        return NumericModel(unit=unit, grid=points, cuts=points[1:], discrete=True, step=0.0,
                            continuous=False)
    step = _detect_step(values, max((p.tolerance for p in partials), default=_FLOAT_TOLERANCE))
    continuous = _is_continuous(values, step)
    grid = (_smooth_quantiles(values, weight, int(np.clip(len(values) // 8, 16, GRID_SIZE)))
            if continuous else _weighted_quantiles(values, weight, GRID_SIZE))
    grid = _protect_extremes(grid, values)
    positions = (np.arange(1, n_bins) * len(grid)) // n_bins
    cuts = np.unique(grid[positions]) if len(grid) else np.zeros(0)
    cuts = cuts[cuts > grid[0]] if len(grid) else cuts
    return NumericModel(unit=unit, grid=grid, cuts=cuts, discrete=False, step=step,
                        continuous=continuous)


EXTREME_K = 5  # the k-th smallest and largest values bound what a column can produce


def _protect_extremes(grid: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Clamp the grid to the k-th smallest and k-th largest real value, so that no value only
    one to four people have (the single policyholder aged 64, a premium of 4,800) is ever
    produced. Privacy happens here, in the reduce step."""
    if len(values) <= 2 * EXTREME_K:
        return grid
    ordered = np.sort(values)
    return np.clip(grid, ordered[EXTREME_K - 1], ordered[-EXTREME_K])


def _protect_discrete_extremes(distinct: dict[float, int]) -> np.ndarray:
    """The distinct values a column of few values may produce: those from the k-th smallest to
    the k-th largest real value (counting repeats). A value fewer than k people have at either
    end (one deductible of 10,000 among 500s to 2,000s, the single age of 95) is top- or
    bottom-coded to the nearest value that at least k people share the end with, as continuous
    columns are clamped."""
    values = np.array(sorted(distinct), dtype=np.float64)
    counts = np.array([distinct[v] for v in values])
    if counts.sum() <= 2 * EXTREME_K:
        return values
    low = values[np.searchsorted(np.cumsum(counts), EXTREME_K)]
    high = values[::-1][np.searchsorted(np.cumsum(counts[::-1]), EXTREME_K)]
    return values[(values >= low) & (values <= high)]


def _is_continuous(values: np.ndarray, step: float) -> bool:
    """Whether values between the observed ones are plausible: most values are distinct, or the
    values fill most of their lattice (weights in steps of 25 g: a fresh sample would bring
    unseen multiples of 25 g too). Other columns with many repeats (scores, codes, log-amounts
    of a few plans) draw observed values only."""
    distinct = len(np.unique(values))
    if distinct > len(values) / 2:
        return True
    if step <= 0 or len(values) == 0:
        return False
    lattice = (values.max() - values.min()) / step + 1
    return distinct >= lattice / 2


def _merge_distinct(partials: list[NumericPartial], unit: int) -> dict[float, int] | None:
    merged: dict[float, int] = {}
    for partial in partials:
        if partial.distinct is None:
            return None
        scale = partial.unit // unit
        for value, count in partial.distinct.items():
            merged[value * scale] = merged.get(value * scale, 0) + count
    return merged


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """The sorted values themselves when few, else `size` weighted quantiles (min and max kept).
    Quantiles are taken from the step-wise empirical distribution, so they are always values
    that occur in the data (a column of counts keeps its counts)."""
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    if len(values) <= size and np.allclose(weights, weights[:1]):
        return values
    cumulative = np.cumsum(weights)
    targets = np.linspace(0.0, 1.0, size) * cumulative[-1]
    return values[np.minimum(np.searchsorted(cumulative, targets, side="left"), len(values) - 1)]


def _smooth_quantiles(values: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """`size` quantiles of a continuous column, each averaging over about 8 real values.

    Drawing uniformly between *adjacent real values* would give every gap between two training
    values the same chance, so narrow gaps (values right next to a real one) would be favoured:
    synthetic values would sit closer to the training rows than fresh real values do. A coarser
    grid spreads draws the way the real density does."""
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    if len(values) == 0:
        return values
    cumulative = np.cumsum(weights) - weights / 2
    cumulative = (cumulative - cumulative[0]) / max(cumulative[-1] - cumulative[0], 1e-300)
    return np.interp(np.linspace(0.0, 1.0, size), cumulative, values)


def _detect_step(values: np.ndarray, tolerance: float = _FLOAT_TOLERANCE) -> float:
    """The granularity of the values: 10**-d for d decimal places, or a coarser round step
    (1, 2, 2.5 or 5 times a power of ten: amounts in tens, weights in steps of 25) when every
    value is a multiple of it. 0 means no rounding (more than 6 decimal places)."""
    if values.size == 0:
        return 0.0
    sample = values[:: max(1, values.size // 5_000)]
    step = 0.0
    for decimals in range(_MAX_DECIMALS + 1):
        if _all_multiples(sample, 10.0**-decimals, tolerance):
            step = 10.0**-decimals
            break
    if step == 0.0:
        return 0.0
    spread = np.quantile(sample, 0.99) - np.quantile(sample, 0.01)
    while step * 10 <= spread / 20 and _all_multiples(sample, step * 10, tolerance):
        step *= 10
    coarser = [step * nice for nice in (2.0, 2.5, 5.0) if step * nice <= spread / 20]
    return max([step] + [s for s in coarser if _all_multiples(sample, s, tolerance)])


def _all_multiples(values: np.ndarray, step: float, tolerance: float) -> bool:
    """Whether every value is a whole multiple of `step`, up to the `tolerance` (relative) with
    which the values were read. A looser tolerance would call every large value a multiple and
    round, say, timestamps in seconds to the nearest 1,000 seconds."""
    scaled = values / step
    error = np.abs(scaled - np.round(scaled))
    return bool(np.all(error <= tolerance * np.maximum(1.0, np.abs(scaled))))


@dataclass
class NumericModel:
    """A fitted numeric column: codes are 0 for NULL and 1 + bin index for values."""

    unit: int
    grid: np.ndarray  # sorted quantile function of the real values, in units
    cuts: np.ndarray  # bin i holds values in [cuts[i-1], cuts[i])
    discrete: bool  # one bin per distinct value
    step: float  # rounding granularity in units; 0 for none
    continuous: bool = True  # draw between grid points, else grid points only

    @property
    def n_codes(self) -> int:
        return len(self.cuts) + 2

    def encode(self, column: pa.ChunkedArray) -> np.ndarray:
        valid = column.is_valid().to_numpy(zero_copy_only=False)
        integers = storage_integers(column)
        if integers is not None:
            values = (integers // self.unit).astype(np.float64)
        else:
            values = column.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)
        valid &= np.isfinite(values)
        codes = np.searchsorted(self.cuts, np.where(valid, values, 0.0), side="right") + 1
        return np.where(valid, codes, NULL_CODE).astype(np.int32)

    def decode(
        self, codes: np.ndarray, arrow_type: pa.DataType, rng: np.random.Generator,
        positions: np.ndarray | None = None,
    ) -> pa.Array:
        """Values for `codes` as an Arrow array of `arrow_type`, drawn inside their bins at
        `positions` (uniforms in [0, 1); fresh ones from `rng` when not given)."""
        null = codes == NULL_CODE
        bins = np.clip(codes - 1, 0, len(self.cuts))
        if positions is None:
            positions = rng.random(len(codes))
        if self.discrete:
            values = self.grid[bins] if len(self.grid) else np.zeros(len(codes))
        else:
            values = self._draw_in_bins(bins, positions)
        return to_arrow(values, null, arrow_type, self.unit, self.step)

    def _draw_in_bins(self, bins: np.ndarray, positions: np.ndarray) -> np.ndarray:
        if len(self.grid) == 0:
            return np.zeros(len(bins))
        edges = np.searchsorted(self.grid, self.cuts, side="left")
        low = np.concatenate([[0], edges])[bins]
        high = np.concatenate([edges, [len(self.grid)]])[bins]
        position = np.minimum(low + positions * (high - low), len(self.grid) - 1)
        if not self.continuous:
            return self.grid[position.astype(np.int64)]
        return np.interp(position, np.arange(len(self.grid)), self.grid)

    @property
    def linkable(self) -> bool:
        """Whether the copula may link this column: binned, so its codes are coarse."""
        return not self.discrete and len(self.grid) > 1

    def ranks(self, column: pa.ChunkedArray) -> np.ndarray:
        """Each value's position in the real distribution, in (0, 1) (0.5 for NULL): the
        inverse of the quantile grid, the middle of a run of equal grid values."""
        integers = storage_integers(column)
        if integers is not None:
            values = (integers // self.unit).astype(np.float64)
        else:
            values = column.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False)
        valid = column.is_valid().to_numpy(zero_copy_only=False) & np.isfinite(values)
        values = np.where(valid, values, self.grid[0])
        first = np.searchsorted(self.grid, values, side="left")
        last = np.searchsorted(self.grid, values, side="right")
        between = np.interp(values, self.grid, np.arange(len(self.grid)))
        position = np.where(last > first, (first + last - 1) / 2, between)
        ranks = (position + 0.5) / len(self.grid)
        return np.where(valid, np.clip(ranks, 1e-6, 1 - 1e-6), 0.5)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return (
            {"unit": int(self.unit), "discrete": bool(self.discrete), "step": float(self.step),
             "continuous": bool(self.continuous)},
            {"grid": self.grid, "cuts": self.cuts},
        )

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> NumericModel:
        return cls(unit=int(state["unit"]), grid=arrays["grid"], cuts=arrays["cuts"],
                   discrete=bool(state["discrete"]), step=float(state["step"]),
                   continuous=bool(state["continuous"]))


def to_arrow(
    values: np.ndarray, null: np.ndarray, arrow_type: pa.DataType, unit: int = 1, step: float = 0.0
) -> pa.Array:
    """Float64 values in `unit`s, rounded to `step`, as an Arrow array of `arrow_type`."""
    if step > 0:
        decimals = max(0, int(-np.floor(np.log10(step) + 1e-9)))
        values = np.round(np.round(values / step) * step, decimals)
    values = np.where(null, 0.0, values)
    mask = null if null.any() else None
    if pa.types.is_floating(arrow_type):
        return pa.array(values, mask=mask).cast(arrow_type)
    if pa.types.is_decimal(arrow_type):
        rounded = np.round(values, arrow_type.scale)
        return pc.cast(pa.array(rounded, mask=mask), arrow_type, safe=False)
    integers = np.round(values).astype(np.int64)
    if pa.types.is_integer(arrow_type):
        info = np.iinfo(arrow_type.to_pandas_dtype())
        integers = np.clip(integers, info.min, min(info.max, 2**63 - 1))
        return pa.array(integers, mask=mask).cast(arrow_type)
    storage = pa.int32() if pa.types.is_date32(arrow_type) or pa.types.is_time32(arrow_type) else (
        pa.int64()
    )
    return pa.array(integers * unit, mask=mask).cast(storage).cast(arrow_type)
