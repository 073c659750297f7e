"""GENERATE_SYNTHETIC_DATA on an embedded DuckDB database.

The steps, in order: parse the configuration, check it against the database (every problem at
once, nothing generated yet), learn every input table, stage every output table, publish all of
them in one transaction, then measure how well each output kept its source's correlations.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from lookalike.errors import NotYetSupportedError
from lookalike.io.duckdb import DuckDBConnector, TableName
from lookalike.procedure.checks import Plan, plan_datasets
from lookalike.procedure.config import Config, load_config
from lookalike.procedure.metrics import METRIC_COLUMNS, correlation_metrics
from lookalike.synthesizer import Synthesizer

UNMEASURED_KINDS = ("text", "null")


def generate_synthetic_data(
    config: Mapping[str, Any] | str | Path,
    database: str | Path | duckdb.DuckDBPyConnection,
    *,
    progress: bool = False,
) -> pd.DataFrame:
    """Make each dataset's synthetic output table; return the correlation metrics.

    `config` is the warehouse procedure's configuration (a dict, a JSON string or a JSON file
    path); `database` a `duckdb:///path.duckdb` URL, a path, or an open DuckDB connection (left
    open). Either every output table is written or, on any error, none is.
    """
    parsed = load_config(config)
    with DuckDBConnector(database) as db:
        plans = plan_datasets(parsed, db)
        _refuse_unsupported(parsed, plans)
        created_on = datetime.now(timezone.utc)
        models = _fit(plans, db, parsed.seed, progress)
        _write(plans, models, db)
        return _metrics(plans, models, db, created_on)


def _refuse_unsupported(config: Config, plans: list[Plan]) -> None:
    """Options that are valid but not implemented yet fail loudly, rather than being ignored."""
    asked = [f"join_key on {plan.source}.{name}" for plan in plans for name in plan.join_keys]
    if config.similarity_filter:
        asked.append("similarity_filter: true")
    if config.consistency_secret is not None:
        asked.append("consistency_secret")
    if asked:
        raise NotYetSupportedError(
            f"not yet supported: {', '.join(asked)}; remove these options to generate "
            f"the tables without them"
        )


def _fit(plans: list[Plan], db: DuckDBConnector, seed: int | None, progress: bool
         ) -> list[Synthesizer]:
    """One fitted model per dataset; all are fitted before any table is written, so that a
    table the synthesizer rejects fails the call with nothing written."""
    seeds = _dataset_seeds(seed, len(plans))
    return [
        Synthesizer(random_state=dataset_seed, columns=plan.columns, progress=progress)
        .fit(db.read_table(plan.source))
        for plan, dataset_seed in zip(plans, seeds, strict=True)
    ]


def _dataset_seeds(seed: int | None, count: int) -> list[int | None]:
    """Independent seeds per dataset from one seed, so adding a dataset leaves the others as
    they were."""
    if seed is None:
        return [None] * count
    children = np.random.SeedSequence(seed).spawn(count)
    return [int(child.generate_state(1)[0]) for child in children]


def _write(plans: list[Plan], models: list[Synthesizer], db: DuckDBConnector) -> None:
    staged: list[tuple[TableName, TableName]] = []
    try:
        for plan, model in zip(plans, models, strict=True):
            batches = model.sample_batches(plan.dataset.num_rows)
            staged.append((db.stage(batches, plan.output, plan.source), plan.output))
        db.publish(staged)
    except BaseException:
        for staging, _ in staged:
            db.drop(staging)
        raise


def _metrics(plans: list[Plan], models: list[Synthesizer], db: DuckDBConnector,
             created_on: datetime) -> pd.DataFrame:
    frames = [
        correlation_metrics(
            db.read_table(plan.source), db.read_table(plan.output),
            source_name=plan.source, output_name=plan.output, created_on=created_on,
            unmeasured={spec.name for spec in model.columns_ if spec.kind in UNMEASURED_KINDS},
        )
        for plan, model in zip(plans, models, strict=True)
    ]
    if not frames:
        return pd.DataFrame(columns=list(METRIC_COLUMNS))
    return pd.concat(frames, ignore_index=True)
