"""Means over repeated random splits, with honest 95% intervals.

Used wherever a figure is measured on several random splits of one table (the demo's fair
evaluation, the privacy benchmark): the splits reuse the same rows, so a plain t-interval is too
narrow; `test_per_train` applies the correction of Nadeau and Bengio (2003).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    """A mean over seeds and its 95% interval (None with a single seed)."""

    mean: float
    low: float | None
    high: float | None

    @classmethod
    def of(cls, values: Sequence[float], test_per_train: float = 0.0) -> Interval:
        """The t-interval of the mean; with `test_per_train` (test rows / training rows of
        each split) the corrected resampled t of Nadeau and Bengio (2003) for splits that
        reuse the same rows."""
        values = np.asarray(values, dtype=float)
        mean = float(values.mean())
        if len(values) < 2:
            return cls(mean, None, None)
        variance = values.var(ddof=1) * (1 / len(values) + test_per_train)
        half = stats.t.ppf(0.975, len(values) - 1) * np.sqrt(variance)
        return cls(mean, mean - half, mean + half)

    def __str__(self) -> str:
        if self.low is None:
            return f"{self.mean:.3f}"
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"
