"""Column shapes, pair trends and associations on constructed tables with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lookalike.procedure import metrics as procedure_metrics
from lookalike.report import evaluate
from lookalike.report.columns import column_kinds, prepare
from lookalike.report.fidelity import (
    correlation_ratio,
    cramers_v,
    ks_statistic,
    pair_metrics,
    total_variation,
)
from lookalike.tabular import to_arrow

RNG = np.random.default_rng(0)


def _table(n: int = 2_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({
        "x": x,
        "y": 2 * x + rng.normal(scale=0.5, size=n),          # strongly correlated with x
        "when": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
        "colour": rng.choice(["red", "green", "blue"], n),
        "size": np.where(x > 0, "big", "small"),             # follows x
        "flag": rng.random(n) < 0.3,
    })


def test_identical_tables_score_one_everywhere():
    table = _table()
    metrics = evaluate(table, table)
    assert metrics.column_shapes == 1.0
    assert metrics.column_pair_trends == 1.0
    assert metrics.overall == 1.0
    assert all(c.distance == 0.0 for c in metrics.columns)
    assert all(p.score == pytest.approx(1.0) for p in metrics.pairs)
    assert all(p.association_difference in (None, 0.0) or p.association_difference < 1e-12
               for p in metrics.pairs)


def test_kinds_follow_lookalike_detection():
    kinds, skipped, _ = column_kinds(to_arrow(_table()))
    assert kinds == {"x": "number", "y": "number", "when": "date", "colour": "category",
                     "size": "category", "flag": "category"}
    assert skipped == {}
    text = pd.DataFrame({"note": [f"free text {i}" for i in range(50)], "n": range(50)})
    kinds, skipped, _ = column_kinds(to_arrow(text))
    assert list(kinds) == ["n"] and "text column" in skipped["note"]


def test_shifted_numbers_have_the_known_ks_statistic():
    real = np.linspace(0, 1, 10_001)
    assert ks_statistic(real, real + 0.25) == pytest.approx(0.25, abs=1e-3)
    assert ks_statistic(real, real + 2.0) == 1.0
    assert ks_statistic(np.array([1.0, np.nan, 2.0]), np.array([1.0, 2.0])) == 0.0


def test_category_shares_have_the_known_total_variation():
    real = np.array([0, 0, 1, 1])           # a a b b
    synthetic = np.array([0, 0, 0, 1, -1])  # a a a b NULL: NULLs are left out
    assert total_variation(real, synthetic, 2) == pytest.approx(0.25)
    assert total_variation(real, np.array([2, 2]), 3) == 1.0


def test_shifted_distribution_lowers_its_column_only():
    real = _table(seed=1)
    shifted = real.copy()
    shifted["x"] = shifted["x"] + 1.0
    metrics = evaluate(real, shifted)
    by_name = {c.name: c for c in metrics.columns}
    assert by_name["x"].distance == pytest.approx(0.38, abs=0.03)  # 2 * Phi(0.5) - 1
    assert all(by_name[n].distance == 0 for n in ("y", "when", "colour", "size", "flag"))
    # a shift keeps Pearson's r: the number pair still scores 1
    x_y = next(p for p in metrics.pairs if {p.column_1, p.column_2} == {"x", "y"})
    assert x_y.score == pytest.approx(1.0)


def test_independent_columns_lose_their_trend():
    real = _table(seed=2)
    shuffled = real.copy()
    shuffled["y"] = RNG.permutation(shuffled["y"].to_numpy())  # same shape, no link to x
    metrics = evaluate(real, shuffled)
    x_y = next(p for p in metrics.pairs if {p.column_1, p.column_2} == {"x", "y"})
    assert x_y.real_association == pytest.approx(0.97, abs=0.01)
    assert abs(x_y.synthetic_association) < 0.06
    assert x_y.score == pytest.approx(1 - abs(x_y.real_association
                                              - x_y.synthetic_association) / 2)
    assert x_y.counted  # |r| > 0.5 in the real table
    assert metrics.column_shapes == 1.0
    assert metrics.column_pair_trends < 1.0


def test_pairs_without_a_real_trend_do_not_count():
    real = _table(seed=3)
    metrics = evaluate(real, real)
    counted = {(p.column_1, p.column_2) for p in metrics.pairs if p.counted}
    assert ("x", "y") in counted and ("x", "size") in counted
    assert ("x", "colour") not in counted and ("colour", "flag") not in counted


def test_no_pair_with_a_trend_leaves_the_column_shapes():
    rng = np.random.default_rng(4)
    real = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    other = pd.DataFrame({"a": rng.normal(size=500) + 0.5, "b": rng.normal(size=500)})
    metrics = evaluate(real, other)
    assert np.isnan(metrics.column_pair_trends)
    assert metrics.overall == metrics.column_shapes


def test_associations_agree_with_the_procedure_metrics():
    frame = _table(seed=5)
    frame.loc[::7, "colour"] = None
    frame.loc[::11, "x"] = np.nan
    prepared = {p.name: p for p in prepare(to_arrow(frame), to_arrow(frame),
                                           column_kinds(to_arrow(frame))[0])}
    colour, size, x = prepared["colour"], prepared["size"], prepared["x"]
    both = frame[["colour", "size"]].dropna()
    assert cramers_v(colour.real, size.real, 3, 2) == pytest.approx(
        procedure_metrics.cramers_v(both["colour"], both["size"]))
    both = frame[["colour", "x"]].dropna()
    assert correlation_ratio(colour.real, x.real, 3) == pytest.approx(
        procedure_metrics.correlation_ratio(both["colour"], both["x"].to_numpy()))


def test_constant_column_leaves_its_pairs_undefined():
    frame = pd.DataFrame({"a": np.arange(100.0), "b": np.ones(100), "c": np.arange(100.0) ** 2})
    table = to_arrow(frame)
    pairs = pair_metrics(prepare(table, table, column_kinds(table)[0]))
    by_pair = {(p.column_1, p.column_2): p for p in pairs}
    assert np.isnan(by_pair[("a", "b")].score)
    assert by_pair[("a", "c")].score == pytest.approx(1.0)


def test_nulls_are_rates_not_values():
    real = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0] * 50, "k": ["u", None, "v", "v"] * 50})
    other = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0] * 50, "k": ["u", "v", "v", "v"] * 50})
    metrics = evaluate(real, other)
    by_name = {c.name: c for c in metrics.columns}
    assert by_name["a"].null_rate_real == 0.25 and by_name["a"].null_rate_synthetic == 0.0
    assert by_name["k"].null_rate_real == 0.25
    assert by_name["k"].distance == pytest.approx(1 / 12)  # u 1/3, v 2/3 against u 1/4, v 3/4


def test_large_tables_are_sampled_and_say_so():
    real = _table(n=3_000, seed=6)
    metrics = evaluate(real, real, max_rows=1_000)
    assert any("1,000 of 3,000 rows" in note for note in metrics.notes)
    assert metrics.column_shapes > 0.95


def test_missing_columns_are_named():
    from lookalike.errors import UnknownColumnError

    real = _table()
    with pytest.raises(UnknownColumnError, match="synthetic table lacks column 'flag'"):
        evaluate(real, real.drop(columns="flag"))


def test_types_that_differ_between_files_still_compare():
    """A synthetic CSV may read back booleans as text or dates as strings."""
    real = _table(n=300, seed=7)
    other = real.copy()
    other["flag"] = other["flag"].map({True: "True", False: "False"})
    other["when"] = other["when"].dt.strftime("%Y-%m-%d")
    metrics = evaluate(real, other)
    assert metrics.column_shapes == pytest.approx(1.0)
