"""What GENERATE_SYNTHETIC_DATA needs from privacy, in three calls: hold out, sample through the
filter, and turn the filter's report and the privacy measures into metric rows.

    train, holdout = split_holdout(table, seed=seed)
    model = protect_extremes(Synthesizer(...).fit(train), train)
    output, values = private_sample(model, train, holdout, n_rows, options, exclude=join_keys)
    rows = privacy_metric_rows(values, source_name=..., output_name=..., created_on=...)

Tables related by join keys go the same way, family by family (`lookalike.privacy.families`):

    train, holdout = split_families(tables, relationships, seed=seed)
    model = MultiTableSynthesizer(...).fit(train, keys=keys)
    outputs, values = private_family_sample(model, train, holdout, num_rows, options, keys=keys)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from lookalike.io.base import TableName
from lookalike.privacy.families import filtered_family_sample, own_columns
from lookalike.privacy.filter import FilterOptions, FilterReport, filtered_sample
from lookalike.privacy.metrics import privacy_metrics
from lookalike.procedure.metrics import METRIC_COLUMNS

PRIVACY_METRIC_TYPES = (
    "similarity_filter_rows_checked", "similarity_filter_rows_dropped",
    "similarity_filter_dcr_threshold", "similarity_filter_nndr_threshold",
    "similarity_filter_rounds", "dcr_share", "exact_copy_rate", "holdout_exact_copy_rate",
    "mia_auc", "privacy_rows_used",
)


def private_sample(model: Any, train: pa.Table, holdout: pa.Table | None, n_rows: int,
                   options: FilterOptions, *, exclude: Collection[str] = ()
                   ) -> tuple[pa.Table, dict[str, float]]:
    """`n_rows` filtered synthetic rows and the metric values of the run: the filter's always,
    the privacy measures when there is a holdout to measure against."""
    table, report = filtered_sample(model, train, holdout, n_rows, options=options,
                                    exclude=exclude)
    return table, _run_values(report, train, holdout, table, model.columns_, exclude)


def private_family_sample(model: Any, train: Mapping[str, pa.Table],
                          holdout: Mapping[str, pa.Table] | None, num_rows: Mapping[str, int],
                          options: FilterOptions, *, keys: Mapping[str, Collection[str]]
                          ) -> tuple[dict[str, pa.Table], dict[str, dict[str, float]]]:
    """Filtered synthetic tables of a fitted MultiTableSynthesizer and each table's metric
    values, as `private_sample` gives them for one table (distances on the table's own
    columns, join keys left out)."""
    tables, reports = filtered_family_sample(model, train, holdout, num_rows, options=options,
                                             keys=keys)
    values = {name: _run_values(reports[name], train[name],
                                None if holdout is None else holdout[name], tables[name],
                                own_columns(model, name), set(keys.get(name, ())))
              for name in tables}
    return tables, values


def _run_values(report: FilterReport, train: pa.Table, holdout: pa.Table | None,
                synthetic: pa.Table, columns: Any, exclude: Collection[str]) -> dict[str, float]:
    """The filter's values always; the privacy measures when there is a holdout."""
    values = report.metric_values()
    if holdout is not None and holdout.num_rows and synthetic.num_rows:
        measured = privacy_metrics(train, holdout, synthetic, columns=columns, exclude=exclude)
        values.update({name: measured.summary()[name] for name in
                       ("dcr_share", "exact_copy_rate", "holdout_exact_copy_rate", "mia_auc")})
        values["privacy_rows_used"] = float(measured.rows_used)
    return values


def privacy_metric_rows(values: Mapping[str, float], *, source_name: TableName,
                        output_name: TableName, created_on: datetime) -> pd.DataFrame:
    """One metric row per value, in the procedure's metric table shape; `columns` is NULL
    (the values are about whole rows, not a column pair)."""
    rows = [(created_on, output_name.table, output_name.schema, output_name.database, None,
             source_name.table, source_name.schema, source_name.database, None, name,
             float(value))
            for name, value in values.items()]
    frame = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    frame["metric_value"] = frame["metric_value"].astype("float64")
    return frame
