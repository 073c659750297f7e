"""The discriminator and ML utility on tables whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lookalike.errors import InvalidOptionError
from lookalike.report import evaluate


def _rows(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n) + shift
    noise = rng.normal(size=n)
    return pd.DataFrame({
        "x": x, "noise": noise,
        "group": rng.choice(["a", "b", "c"], n),
        "label": np.where(x + 0.3 * rng.normal(size=n) > shift, "yes", "no"),
    })


def test_discriminator_cannot_tell_two_samples_of_one_distribution():
    metrics = evaluate(_rows(1_500, 0), _rows(1_500, 1))
    assert metrics.discriminator.auc == pytest.approx(0.5, abs=0.06)


def test_discriminator_tells_a_shifted_table_apart():
    metrics = evaluate(_rows(1_500, 0), _rows(1_500, 1, shift=3.0))
    assert metrics.discriminator.auc > 0.95


def test_discriminator_has_a_holdout_reference():
    metrics = evaluate(_rows(1_000, 0), _rows(1_000, 1), holdout=_rows(1_000, 2))
    assert metrics.discriminator.holdout_auc == pytest.approx(0.5, abs=0.07)


def test_useful_synthetic_rows_predict_as_well_as_real_ones():
    metrics = evaluate(_rows(2_000, 0), _rows(2_000, 1), holdout=_rows(2_000, 2),
                       target="label")
    u = metrics.utility
    assert u.task == "classification" and u.measure == "AUC"
    assert u.trtr > 0.9
    assert u.tstr == pytest.approx(u.trtr, abs=0.02)
    # x decides the label: it matters most, for both models
    for importances in (u.importances_real, u.importances_synthetic):
        assert max(importances, key=importances.get) == "x"
        assert importances["noise"] < 0.02


def test_synthetic_rows_with_a_broken_target_are_useless():
    synthetic = _rows(2_000, 1)
    synthetic["label"] = np.random.default_rng(9).permutation(synthetic["label"].to_numpy())
    metrics = evaluate(_rows(2_000, 0), synthetic, holdout=_rows(2_000, 2), target="label")
    assert metrics.utility.tstr == pytest.approx(0.5, abs=0.06)
    assert metrics.utility.trtr > 0.9


def test_a_number_target_is_a_regression():
    real, synthetic, holdout = (_rows(1_500, seed) for seed in (0, 1, 2))
    for frame in (real, synthetic, holdout):
        frame["y"] = 3 * frame["x"] + 0.1 * frame["noise"]
    metrics = evaluate(real, synthetic, holdout=holdout, target="y")
    assert metrics.utility.measure == "R2"
    assert metrics.utility.trtr > 0.95 and metrics.utility.tstr > 0.95


def test_a_target_needs_a_holdout():
    with pytest.raises(InvalidOptionError, match="needs a holdout"):
        evaluate(_rows(100, 0), _rows(100, 1), target="label")


def _coded(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"code": [f"c{i}" for i in rng.integers(0, 400, 3_000)],
                         "x": rng.normal(size=3_000)})


def test_many_categories_fit_the_model():
    assert evaluate(_coded(3), _coded(4)).discriminator.auc == pytest.approx(0.5, abs=0.06)


def test_copies_of_real_rows_score_well_below_one_half():
    """Out of fold, a copy is classed with its real twin: the report flags this."""
    frame = _coded(3)
    assert evaluate(frame, frame.sample(frac=1, random_state=1)).discriminator.auc < 0.4
