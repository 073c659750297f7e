"""Column shapes and column pair trends, computed as SDMetrics' QualityReport computes them, plus
the association of each pair (for the heatmaps).

- Column shapes: KSComplement (1 - Kolmogorov-Smirnov statistic) for numbers and dates,
  TVComplement (1 - total variation distance) for categories; NULLs left out of both.
- Pair trends: CorrelationSimilarity (1 - |Pearson real - Pearson synthetic| / 2) for two numbers
  or dates; ContingencySimilarity (1 - total variation of the joint frequencies, NULL a value of
  its own) for two categories, or for a category and a number cut into the 10 bins of
  `numpy.histogram_bin_edges`. Like SDMetrics, each table is binned on its own edges, and the
  largest value shares the NULL bin.
- Like SDMetrics' QualityReport (0.32), the pair trends score averages only the pairs with a
  real trend to keep: |Pearson| > 0.5 in the real table, or Cramér's V > 0.3 on the real
  contingency table that the score compares. Other pairs are still scored and shown
  (`PairMetrics.counted` is False); when no pair counts, the overall score is the column shapes'.
- A pair whose score is undefined (a constant column, no rows) counts in no average.

Associations follow `lookalike.procedure.metrics`: Pearson's r, Cramér's V, correlation ratio.
Everything works on integer codes and `numpy.bincount`, so that a few thousand pairs of a wide
table take seconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lookalike.procedure.metrics import pearson
from lookalike.report.columns import CATEGORY, Prepared

BINS = 10
CORRELATION_THRESHOLD = 0.5  # SDMetrics' DEFAULT_REAL_CORRELATION_THRESHOLD
ASSOCIATION_THRESHOLD = 0.3  # SDMetrics' DEFAULT_REAL_ASSOCIATION_THRESHOLD
CORRELATION, CONTINGENCY = "CorrelationSimilarity", "ContingencySimilarity"
PEARSON, CRAMERS_V, CORRELATION_RATIO = "pearson", "cramers_v", "correlation_ratio"


@dataclass(frozen=True)
class ColumnMetrics:
    """How far one column's distribution moved: KS statistic or total variation distance."""

    name: str
    kind: str  # number, date or category
    metric: str  # KSComplement or TVComplement
    distance: float  # KS statistic (numbers, dates) or total variation (categories); NaN: no values
    null_rate_real: float
    null_rate_synthetic: float
    holdout_distance: float | None = None  # the same distance for fresh real rows

    @property
    def score(self) -> float:
        return 1.0 - self.distance


@dataclass(frozen=True)
class PairMetrics:
    """How well one pair of columns kept its trend, and the association on each side."""

    column_1: str
    column_2: str
    metric: str  # CorrelationSimilarity or ContingencySimilarity
    score: float  # NaN when undefined (e.g. a constant column)
    association: str  # pearson, cramers_v or correlation_ratio
    real_association: float | None
    synthetic_association: float | None
    counted: bool = True  # the real pair has a trend to keep (see the module docstring)
    holdout_score: float | None = None

    @property
    def association_difference(self) -> float | None:
        if self.real_association is None or self.synthetic_association is None:
            return None
        return abs(self.real_association - self.synthetic_association)


# -- one column -----------------------------------------------------------------------------------


def column_distance(column: Prepared) -> float:
    """KS statistic for numbers and dates, total variation distance for categories."""
    if column.kind == CATEGORY:
        return total_variation(column.real, column.other, len(column.labels))
    return ks_statistic(column.real, column.other)


def ks_statistic(real: np.ndarray, other: np.ndarray) -> float:
    """Largest gap between the two empirical distribution functions, NaNs left out."""
    real, other = np.sort(real[~np.isnan(real)]), np.sort(other[~np.isnan(other)])
    if not len(real) or not len(other):
        return float("nan")
    points = np.concatenate([real, other])
    gap = (np.searchsorted(real, points, side="right") / len(real)
           - np.searchsorted(other, points, side="right") / len(other))
    return float(np.abs(gap).max())


def total_variation(real: np.ndarray, other: np.ndarray, categories: int) -> float:
    """Half the summed difference of category shares, NULLs (code -1) left out."""
    real, other = real[real >= 0], other[other >= 0]
    if not len(real) or not len(other):
        return float("nan")
    shares_real = np.bincount(real, minlength=categories) / len(real)
    shares_other = np.bincount(other, minlength=categories) / len(other)
    return float(0.5 * np.abs(shares_real - shares_other).sum())


def null_rate(values: np.ndarray) -> float:
    if not len(values):
        return float("nan")
    return float(np.mean(values < 0) if values.dtype.kind == "i" else np.mean(np.isnan(values)))


def column_metrics(columns: Sequence[Prepared],
                   holdout: Sequence[Prepared] | None = None) -> list[ColumnMetrics]:
    reference = {column.name: column for column in holdout or ()}
    out = []
    for column in columns:
        fresh = reference.get(column.name)
        out.append(ColumnMetrics(
            name=column.name, kind=column.kind,
            metric="TVComplement" if column.kind == CATEGORY else "KSComplement",
            distance=column_distance(column),
            null_rate_real=null_rate(column.real), null_rate_synthetic=null_rate(column.other),
            holdout_distance=None if fresh is None else column_distance(fresh),
        ))
    return out


# -- pairs of columns -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Discrete:
    """A column cut into non-negative codes per table (None: it cannot be cut), and its size."""

    real: np.ndarray | None
    other: np.ndarray | None
    size: int


def _discrete(column: Prepared) -> _Discrete:
    if column.kind == CATEGORY:  # NULL is a value of its own: code 0
        return _Discrete(column.real + 1, column.other + 1, len(column.labels) + 1)
    return _Discrete(_digitize(column.real), _digitize(column.other), BINS + 2)


def _digitize(values: np.ndarray) -> np.ndarray | None:
    present = values[~np.isnan(values)]
    if not len(present):
        return None
    return np.digitize(values, np.histogram_bin_edges(present, bins=BINS))


def contingency_similarity(a_real: np.ndarray, b_real: np.ndarray, a_other: np.ndarray,
                           b_other: np.ndarray, b_size: int, cells: int) -> float:
    joint_real = np.bincount(a_real * b_size + b_real, minlength=cells) / len(a_real)
    joint_other = np.bincount(a_other * b_size + b_other, minlength=cells) / len(a_other)
    return float(1.0 - 0.5 * np.abs(joint_real - joint_other).sum())


def correlation_similarity(x: Prepared, y: Prepared) -> tuple[float, float | None, float | None]:
    """SDMetrics' score for two numbers or dates, with Pearson's r on each side."""
    real_r, other_r = _pearson(x.real, y.real), _pearson(x.other, y.other)
    if any(_constant(values) for values in (x.real, y.real, x.other, y.other)):
        return float("nan"), real_r, other_r
    if real_r is None or other_r is None:
        return float("nan"), real_r, other_r
    return 1.0 - abs(real_r - other_r) / 2.0, real_r, other_r


def _constant(values: np.ndarray) -> bool:
    present = values[~np.isnan(values)]
    return len(present) > 0 and present.min() == present.max()


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    both = ~(np.isnan(x) | np.isnan(y))
    if both.sum() < 2:
        return None
    return pearson(x[both], y[both])


def cramers_v(a: np.ndarray, b: np.ndarray, a_size: int, b_size: int) -> float | None:
    """Cramér's V (no bias correction) of two category code arrays, NULLs (-1) left out."""
    both = (a >= 0) & (b >= 0)
    if both.sum() < 2:
        return None
    counts = np.bincount(a[both] * b_size + b[both], minlength=a_size * b_size)
    counts = counts.reshape(a_size, b_size).astype(float)
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if min(counts.shape) < 2:
        return None
    expected = counts.sum(axis=1, keepdims=True) * counts.sum(axis=0, keepdims=True) / counts.sum()
    chi2 = ((counts - expected) ** 2 / expected).sum()
    return float(np.sqrt(chi2 / (counts.sum() * (min(counts.shape) - 1))))


def correlation_ratio(codes: np.ndarray, values: np.ndarray, size: int) -> float | None:
    """eta of a number given a category, rows with a NULL on either side left out."""
    both = (codes >= 0) & ~np.isnan(values)
    if both.sum() < 2:
        return None
    codes, values = codes[both], values[both]
    total = ((values - values.mean()) ** 2).sum()
    if total == 0:
        return None
    counts = np.bincount(codes, minlength=size)
    sums = np.bincount(codes, weights=values, minlength=size)
    seen = counts > 0
    means = sums[seen] / counts[seen]
    between = (counts[seen] * (means - values.mean()) ** 2).sum()
    return float(np.sqrt(min(between / total, 1.0)))


def _association(x: Prepared, y: Prepared, side: str) -> float | None:
    xs, ys = getattr(x, side), getattr(y, side)
    if x.kind == CATEGORY and y.kind == CATEGORY:
        return cramers_v(xs, ys, len(x.labels), len(y.labels))
    if x.kind == CATEGORY:
        return correlation_ratio(xs, ys, len(x.labels))
    if y.kind == CATEGORY:
        return correlation_ratio(ys, xs, len(y.labels))
    return _pearson(xs, ys)


def pair_metrics(columns: Sequence[Prepared],
                 holdout: Sequence[Prepared] | None = None) -> list[PairMetrics]:
    """Every pair of `columns`: its SDMetrics score and the association on each side."""
    discrete = {column.name: _discrete(column) for column in columns}
    fresh = {column.name: column for column in holdout or ()}
    fresh_discrete = {name: _discrete(column) for name, column in fresh.items()}
    out = []
    for x, y in itertools.combinations(columns, 2):
        score, metric, kind, real_a, other_a, counted = _pair(x, y, discrete)
        holdout_score = None
        if x.name in fresh and y.name in fresh:
            holdout_score = _pair(fresh[x.name], fresh[y.name], fresh_discrete)[0]
        out.append(PairMetrics(x.name, y.name, metric, score, kind, real_a, other_a, counted,
                               holdout_score))
    return out


def _pair(x: Prepared, y: Prepared, discrete: dict[str, _Discrete]
          ) -> tuple[float, str, str, float | None, float | None, bool]:
    if x.kind != CATEGORY and y.kind != CATEGORY:
        score, real_r, other_r = correlation_similarity(x, y)
        counted = real_r is not None and abs(real_r) > CORRELATION_THRESHOLD
        return score, CORRELATION, PEARSON, real_r, other_r, counted
    kind = CRAMERS_V if x.kind == y.kind == CATEGORY else CORRELATION_RATIO
    real_a, other_a = _association(x, y, "real"), _association(x, y, "other")
    a, b = discrete[x.name], discrete[y.name]
    if any(codes is None for codes in (a.real, a.other, b.real, b.other)):
        return float("nan"), CONTINGENCY, kind, real_a, other_a, False
    score = contingency_similarity(a.real, b.real, a.other, b.other, b.size, a.size * b.size)
    strength = cramers_v(a.real, b.real, a.size, b.size)
    counted = strength is not None and strength > ASSOCIATION_THRESHOLD
    return score, CONTINGENCY, kind, real_a, other_a, counted


def average(scores: Sequence[float]) -> float:
    """Mean of the defined scores; NaN when none is."""
    values = np.asarray([score for score in scores if score is not None], dtype=float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else float("nan")
