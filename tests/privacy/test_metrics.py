"""Privacy measures on constructed cases with known answers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from lookalike.privacy.metrics import PrivacyMetrics, dcr_share, nndr, privacy_metrics


def test_copies_of_training_rows(census_pair: tuple[pa.Table, pa.Table]) -> None:
    train, holdout = census_pair
    metrics = privacy_metrics(train, holdout, train)
    assert metrics.dcr_share == pytest.approx(1.0, abs=0.02)  # ties only where holdout copies
    assert metrics.exact_copy_rate == 1.0
    assert np.all(metrics.dcr_synthetic == 0.0)
    assert metrics.mia_auc > 0.9


def test_an_independent_sample_is_as_private_as_fresh_data(
        census_pair: tuple[pa.Table, pa.Table]) -> None:
    from tests.privacy.conftest import census_like

    train, holdout = census_pair
    metrics = privacy_metrics(train, holdout, census_like(2_000, 3))
    assert metrics.dcr_share == pytest.approx(0.5, abs=0.04)
    assert metrics.mia_auc == pytest.approx(0.5, abs=0.04)
    assert metrics.exact_copy_rate == pytest.approx(metrics.holdout_exact_copy_rate, abs=0.03)
    assert metrics.rows_used == 2_000


def test_max_rows_samples_equal_train_and_holdout(census_pair: tuple[pa.Table, pa.Table]
                                                  ) -> None:
    train, holdout = census_pair
    metrics = privacy_metrics(train, holdout.slice(0, 1_500), train, max_rows=500)
    assert metrics.rows_used == 500
    assert len(metrics.dcr_holdout) == len(metrics.dcr_synthetic) == 500


def test_summary_holds_the_floats_and_percentiles(census_pair: tuple[pa.Table, pa.Table]) -> None:
    train, holdout = census_pair
    summary = privacy_metrics(train, holdout, holdout, max_rows=300).summary()
    assert {"dcr_share", "exact_copy_rate", "holdout_exact_copy_rate", "mia_auc",
            "dcr_synthetic_median", "dcr_holdout_p05", "nndr_synthetic_median",
            "nndr_holdout_p05"} <= summary.keys()
    assert all(isinstance(value, float) for value in summary.values())


def test_dcr_share_counts_ties_half() -> None:
    assert dcr_share(np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0, 3.0])) == 0.5


def test_nndr_of_two_equal_neighbours_is_one() -> None:
    ratios = nndr(np.array([[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]))
    assert ratios.tolist() == [0.5, 1.0, 0.0]


def test_the_dataclass_interface_is_stable() -> None:
    fields = list(PrivacyMetrics.__dataclass_fields__)
    assert fields == ["dcr_share", "exact_copy_rate", "holdout_exact_copy_rate", "mia_auc",
                      "dcr_synthetic", "dcr_holdout", "nndr_synthetic", "nndr_holdout",
                      "rows_used"]
