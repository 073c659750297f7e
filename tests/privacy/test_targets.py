"""Issue 5's targets on the insurance tables, as `benchmarks/privacy_targets.py` measures them
(fewer splits): the rows given to lookalike split as the procedure splits them with the filter
on, privacy measured against rows neither the model nor the filter saw."""

from __future__ import annotations

import numpy as np
import pytest

from lookalike import Synthesizer
from lookalike.io.files import read_table
from lookalike.privacy import (
    calibrate,
    filtered_sample,
    privacy_metrics,
    protect_extremes,
    split_holdout,
)
from lookalike.privacy.neighbours import nearest

SPLITS = 10


def measured(table, seed: int) -> tuple[float, float, float, float]:
    """(DCR share, membership AUC) of the filtered output, then of the same model unfiltered."""
    given, unseen = split_holdout(table, seed=seed)
    train, calibration_rows = split_holdout(given, seed=seed + 1)
    exclude = {"POLICY_NUMBER"}
    model = protect_extremes(Synthesizer(random_state=seed).fit(train), train)
    output, report = filtered_sample(model, train, calibration_rows, train.num_rows,
                                     exclude=exclude)
    assert output.num_rows == train.num_rows
    calibration = calibrate(train, calibration_rows, columns=model.columns_, exclude=exclude)
    closest = nearest(calibration.train_points, calibration.encoder.transform(output), 1)
    assert (closest.distances[:, 0] >= report.dcr_threshold).all()
    on, off = (privacy_metrics(train, unseen, rows, columns=model.columns_, exclude=exclude,
                               seed=seed)
               for rows in (output, model.sample(train.num_rows)))
    return on.dcr_share, on.mia_auc, off.dcr_share, off.mia_auc


@pytest.mark.slow
@pytest.mark.parametrize("name", ["claims_path", "customers_path"])
def test_filter_keeps_dcr_share_and_membership_auc_within_targets(name, request) -> None:
    table = read_table(request.getfixturevalue(name))
    runs = np.array([measured(table, seed) for seed in range(SPLITS)])
    dcr_on, mia_on, _, mia_off = runs.mean(axis=0)
    assert dcr_on <= 0.52 and mia_on <= 0.55
    # the filter is what brings them there: paired on the same split, it lowers both (measured
    # on these splits: by 0.016 in DCR share, 0.034 and 0.044 in AUC; unfiltered 0.522, 0.524)
    gap = runs[:, 0] - runs[:, 2]
    assert gap.mean() <= -0.008 and (gap < 0).sum() >= 8, np.round(gap, 3)
    assert mia_on - mia_off <= -0.015
    # and it does not overshoot into rows conspicuously far from the training rows
    assert dcr_on > 0.48 and mia_on > 0.45
