"""Step 8: drift, as the lab's companion repository checks it. The population stability index
(PSI) of each model input compares its distribution in the training data with the new claims:
below 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 a shift worth retraining for.

Numbers are cut at the training data's deciles; categories are compared value by value. Empty
bins get a small floor (1e-4) so that a value never seen on one side gives a large, finite PSI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FLOOR = 1e-4
BINS = 10


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    psi: float

    @property
    def level(self) -> str:
        if self.psi < 0.1:
            return "stable"
        return "moderate shift" if self.psi < 0.25 else "significant shift"


def psi(expected: pd.Series, actual: pd.Series) -> float:
    """The PSI of `actual` against `expected`: sum of (a - e) * ln(a / e) over the bins."""
    e_shares, a_shares = _shares(expected.dropna(), actual.dropna())
    e_shares, a_shares = np.maximum(e_shares, FLOOR), np.maximum(a_shares, FLOOR)
    return float(np.sum((a_shares - e_shares) * np.log(a_shares / e_shares)))


def drift(training: pd.DataFrame, new: pd.DataFrame) -> list[FeatureDrift]:
    """The PSI of every column of `training` that `new` has, largest first."""
    found = [FeatureDrift(c, psi(training[c], new[c])) for c in training.columns if c in new]
    return sorted(found, key=lambda item: item.psi, reverse=True)


def _shares(expected: pd.Series, actual: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    numeric = pd.api.types.is_numeric_dtype(expected) and not pd.api.types.is_bool_dtype(expected)
    if numeric and expected.nunique() > BINS:
        edges = np.unique(np.quantile(expected, np.linspace(0, 1, BINS + 1)[1:-1]))
        e_bins = np.searchsorted(edges, expected, side="right")
        a_bins = np.searchsorted(edges, actual, side="right")
        size = len(edges) + 1
        return (np.bincount(e_bins, minlength=size) / max(len(expected), 1),
                np.bincount(a_bins, minlength=size) / max(len(actual), 1))
    values = pd.Index(pd.concat([expected, actual]).unique())
    return (_value_shares(expected, values), _value_shares(actual, values))


def _value_shares(column: pd.Series, values: pd.Index) -> np.ndarray:
    counts = column.value_counts().reindex(values, fill_value=0).to_numpy(dtype=float)
    return counts / max(len(column), 1)
