"""Constructed tables with known answers for the privacy tests."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest


def census_like(n: int, seed: int) -> pa.Table:
    """Numbers and categories with dependencies between them (age -> education -> income)."""
    rng = np.random.default_rng(seed)
    age = np.clip(rng.normal(40, 12, n), 18, 90).round()
    education = np.where(rng.random(n) < (age - 18) / 100, "college", "school")
    income = np.round(np.exp(rng.normal(10 + 0.4 * (education == "college"), 0.5)), -1)
    hours = np.clip(rng.normal(40, 8, n), 1, 99).round()
    sex = rng.choice(["F", "M"], n)
    return pa.table({"age": age.astype(np.int64), "education": education, "income": income,
                     "hours": hours.astype(np.int64), "sex": sex})


@pytest.fixture(scope="module")
def census_pair() -> tuple[pa.Table, pa.Table]:
    """Two independent samples of one distribution (train, holdout)."""
    return census_like(2_000, 1), census_like(2_000, 2)
