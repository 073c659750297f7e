"""Extreme values: a fitted model's grids clamped to the k-th smallest and largest real value."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lookalike import Synthesizer
from lookalike.privacy.extremes import extreme_bounds, protect_extremes


def table_with_one_oldest() -> pa.Table:
    rng = np.random.default_rng(0)
    age = np.r_[rng.integers(20, 60, 499), 97]  # one person aged 97
    income = np.r_[rng.lognormal(10, 0.5, 499), 5e6]  # one person with 5 million
    day = [dt.date(2000, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 3_000, 500)]
    return pa.table({"age": age, "income": income, "day": day,
                     "group": rng.choice(["a", "b", "c"], 500)})


def test_bounds_are_the_kth_values() -> None:
    table = table_with_one_oldest()
    model = Synthesizer(random_state=0).fit(table)
    bounds = extreme_bounds(model, table, k=5)
    ages = np.sort(table["age"].to_numpy())
    assert bounds["age"] == (ages[4], ages[-5])
    assert set(bounds) == {"age", "income", "day"}


def test_protected_model_never_emits_a_single_persons_extreme() -> None:
    table = table_with_one_oldest()
    model = Synthesizer(random_state=0).fit(table)
    plain = model.sample(50_000)
    default_high = extreme_bounds(model, table, k=5)["income"][1]
    assert pc.max(plain["income"]).as_py() <= default_high < 1e6  # clamped by default
    grid_before = model.column_models_[1].grid.copy()
    protected = protect_extremes(model, table, k=10).sample(50_000)
    bounds = extreme_bounds(model, table, k=10)
    for name in ("age", "income"):
        low, high = bounds[name]
        assert low <= pc.min(protected[name]).as_py() <= pc.max(protected[name]).as_py() <= high
    assert bounds["income"][1] < default_high  # a stricter k clamps further
    assert protected["day"].type == table["day"].type
    assert np.array_equal(model.column_models_[1].grid, grid_before)  # the model is unchanged
