import numpy as np
import pytest
from scipy import stats

from lookalike.datasets import insurance
from lookalike.demo.evaluation import (
    REAL,
    SYNTHETIC,
    Evaluation,
    Interval,
    Score,
    VariantSummary,
    _summaries,
    padded,
    split_by_customer,
)
from lookalike.demo.prepare import KEY
from lookalike.errors import InvalidOptionError


def test_interval_is_the_t_interval_of_the_mean():
    values = [0.70, 0.74, 0.78, 0.72]
    interval = Interval.of(values)
    half = stats.t.ppf(0.975, 3) * np.std(values, ddof=1) / 2
    assert interval.mean == pytest.approx(0.735)
    assert (interval.low, interval.high) == pytest.approx((0.735 - half, 0.735 + half))
    assert Interval.of([0.7]) == Interval(0.7, None, None)
    corrected = Interval.of(values, test_per_train=1 / 3)  # Nadeau and Bengio: splits share rows
    wider = np.sqrt((1 / 4 + 1 / 3) / (1 / 4))
    assert corrected.high - corrected.mean == pytest.approx(wider * half)
    assert str(Interval(0.7, None, None)) == "0.700"


@pytest.mark.parametrize(("gain", "verdict"), [
    (None, "reference"),
    (Interval(0.02, 0.01, 0.03), "helps"),
    (Interval(-0.02, -0.03, -0.01), "hurts"),
    (Interval(0.01, -0.01, 0.03), "no clear difference"),
    (Interval(0.01, None, None), "one seed: no interval"),
])
def test_verdicts_follow_the_interval_of_the_gain(gain, verdict):
    auc = Interval(0.75, 0.7, 0.8)
    assert VariantSummary("v", 10, auc, auc, gain).verdict == verdict


def test_gains_are_paired_by_seed():
    scores = [Score(REAL, 0, 10, 0.70, 0.8), Score(REAL, 1, 10, 0.80, 0.8),
              Score(padded(1), 0, 20, 0.72, 0.8), Score(padded(1), 1, 20, 0.82, 0.8)]
    real, padding = _summaries(scores)
    assert real.gain is None
    assert padding.gain == Interval(pytest.approx(0.02), pytest.approx(0.02),
                                    pytest.approx(0.02))
    assert padding.verdict == "helps"  # the same gain on every seed


def test_split_holds_out_whole_customers_and_their_claims():
    claims = insurance("claim_data").to_pandas()
    customers = insurance("customer_data").to_pandas()
    train_claims, train_customers, test = split_by_customer(claims, customers, 0.25, seed=3)
    held_out = set(test[KEY])
    assert len(held_out) == 250 and len(test) == 250
    assert not held_out & set(train_claims[KEY]) and not held_out & set(train_customers[KEY])
    assert len(train_claims) == 750 and len(train_customers) == 950
    assert set(test.columns) >= set(claims.columns) | set(customers.columns)
    again = split_by_customer(claims, customers, 0.25, seed=3)[2]
    assert again[KEY].tolist() == test[KEY].tolist()
    assert split_by_customer(claims, customers, 0.25, seed=4)[2][KEY].tolist() != \
        test[KEY].tolist()


def test_variant_names():
    assert (REAL, SYNTHETIC, padded(5)) == (
        "real only (TRTR)", "synthetic only (TSTR)", "real + 5x synthetic")


def test_the_registered_recipe_is_real_only_unless_synthetic_rows_clearly_help():
    def evaluation(gains):
        scores = [Score(REAL, seed, 10, 0.70 + 0.01 * seed, 0.8) for seed in range(3)]
        for variant, gain in gains.items():
            scores += [Score(variant, seed, 20, 0.70 + 0.01 * seed + g, 0.8)
                       for seed, g in enumerate(gain)]
        return Evaluation([0, 1, 2], 5, scores, _summaries(scores, 1 / 3))

    noisy = evaluation({padded(1): [0.09, -0.05, 0.02]})  # a higher mean, within the noise
    assert noisy.summary(padded(1)).auc.mean > noisy.summary(REAL).auc.mean
    assert noisy.best().variant == REAL
    clear = evaluation({padded(1): [0.02, 0.021, 0.019], padded(2): [0.03, 0.031, 0.029]})
    assert clear.best().variant == padded(2)
    with pytest.raises(InvalidOptionError, match=r"no training set 'real \+ 9x synthetic'"):
        clear.summary(padded(9))
