"""The glue GENERATE_SYNTHETIC_DATA calls: filtered rows plus privacy metric rows."""

from __future__ import annotations

from datetime import UTC, datetime

from lookalike import Synthesizer
from lookalike.io.base import TableName
from lookalike.io.files import read_table
from lookalike.privacy import FilterOptions, protect_extremes, split_holdout
from lookalike.privacy.procedure import (
    PRIVACY_METRIC_TYPES,
    privacy_metric_rows,
    private_sample,
)
from lookalike.procedure.metrics import METRIC_COLUMNS


def test_private_sample_gives_rows_and_metric_rows(claims_path) -> None:
    table = read_table(claims_path)
    train, holdout = split_holdout(table, seed=0)
    model = protect_extremes(Synthesizer(random_state=0).fit(train), train)
    output, values = private_sample(model, train, holdout, 500, FilterOptions(),
                                    exclude={"POLICY_NUMBER"})
    assert output.num_rows == 500 and output.schema == train.schema
    assert set(values) == set(PRIVACY_METRIC_TYPES)
    assert 0.3 < values["dcr_share"] < 0.7
    frame = privacy_metric_rows(
        values, source_name=TableName("lab", "DATA", "CLAIM_DATA"),
        output_name=TableName("lab", "DATA", "CLAIM_DATA_SYNTHETIC"),
        created_on=datetime.now(UTC))
    assert list(frame.columns) == list(METRIC_COLUMNS)
    assert frame["metric_type"].tolist() == list(values)
    assert frame["columns"].isna().all() and frame["metric_value"].dtype == "float64"


def test_without_a_holdout_only_the_filter_is_reported(claims_path) -> None:
    table = read_table(claims_path).slice(0, 300)
    train, holdout = split_holdout(table)
    assert holdout is None
    model = Synthesizer(random_state=0).fit(train)
    _, values = private_sample(model, train, None, 100, FilterOptions())
    assert set(values) == {name for name in PRIVACY_METRIC_TYPES
                           if name.startswith("similarity_filter")}
