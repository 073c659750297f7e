import numpy as np
import pandas as pd
import pytest

from lookalike.demo.drift import FLOOR, FeatureDrift, drift, psi


def test_identical_distributions_have_no_drift():
    values = pd.Series(np.arange(1000) % 37)
    assert psi(values, values) == pytest.approx(0.0)


def test_categories_follow_the_formula():
    expected = pd.Series(["a"] * 50 + ["b"] * 50)
    actual = pd.Series(["a"] * 80 + ["b"] * 20)
    known = (0.8 - 0.5) * np.log(0.8 / 0.5) + (0.2 - 0.5) * np.log(0.2 / 0.5)
    assert psi(expected, actual) == pytest.approx(known)


def test_a_value_never_seen_in_training_gives_a_large_finite_psi():
    value = psi(pd.Series(["a"] * 100), pd.Series(["b"] * 100))
    assert value == pytest.approx(2 * (1 - FLOOR) * np.log(1 / FLOOR))


def test_numbers_are_cut_at_the_training_deciles():
    rng = np.random.default_rng(0)
    training = pd.Series(rng.normal(size=20_000))
    assert psi(training, pd.Series(rng.normal(size=20_000))) < 0.01
    assert psi(training, pd.Series(rng.normal(1.0, size=20_000))) > 0.25


def test_drift_ranks_features_and_names_levels():
    training = pd.DataFrame({"steady": np.arange(100) % 10, "moved": ["x"] * 100})
    new = pd.DataFrame({"steady": np.arange(100) % 10, "moved": ["y"] * 100})
    found = drift(training, new)
    assert [d.feature for d in found] == ["moved", "steady"]
    assert [d.level for d in found] == ["significant shift", "stable"]
    assert FeatureDrift("f", 0.15).level == "moderate shift"
