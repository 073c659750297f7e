"""GENERATE_SYNTHETIC_DATA on an embedded DuckDB database.

The steps, in order: parse the configuration, check it against the database (every problem at
once, nothing generated yet), learn every input table, stage every output table, publish all of
them in one transaction, then measure how well each output kept its source's correlations.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from lookalike.errors import ConfigError, LookalikeError
from lookalike.io.base import Connector, TableName
from lookalike.io.connect import connect
from lookalike.metadata import ColumnSpec
from lookalike.multitable import (
    KeyColumn,
    MultiTableSynthesizer,
    Relationship,
    infer_relationships,
)
from lookalike.privacy.families import split_families
from lookalike.privacy.filter import FilterOptions, split_holdout
from lookalike.privacy.procedure import (
    privacy_metric_rows,
    private_family_sample,
    private_sample,
)
from lookalike.procedure.checks import Plan, plan_datasets
from lookalike.procedure.config import Config, load_config
from lookalike.procedure.metrics import METRIC_COLUMNS, correlation_metrics
from lookalike.synthesizer import Synthesizer

UNMEASURED_KINDS = ("text", "null")


def generate_synthetic_data(
    config: Mapping[str, Any] | str | Path,
    database: str | Path | Any,
    *,
    progress: bool = False,
    report: str | Path | None = None,
) -> pd.DataFrame:
    """Make each dataset's synthetic output table; return the correlation metrics.

    `config` is the warehouse procedure's configuration (a dict, a JSON string or a JSON file
    path); `database` a URL (`duckdb:///path.duckdb`, `postgresql://...`, `mysql://...`,
    `sqlite:///...`: see lookalike.io.connect), a path, or an open connection (left open).
    Either every output table is written or, on any error, none is. Datasets linked by join
    keys are generated together, so that their synthetic tables join like the real ones.
    `report`: a folder for HTML quality reports, written once the tables are; a report that
    cannot be written is a warning, not an error, since the tables it describes are in place.
    """
    parsed = load_config(config)
    if report is not None:  # a missing extra fails before anything is written
        from lookalike.report.plots import require

        require("jinja2")
        require("matplotlib")
    with connect(database) as db:
        plans = plan_datasets(parsed, db)
        created_on = datetime.now(UTC)
        outputs, relationships = _synthesise(plans, parsed, db, progress)
        _write(plans, outputs, db)
        metrics = _metrics(plans, outputs, db, created_on)
        if report is not None:
            _written_reports(plans, outputs, relationships, db, Path(report))
        return metrics


@dataclass
class _Output:
    """One dataset's synthetic rows, and the columns whose associations mean nothing."""

    batches: Callable[[], Iterator[pa.RecordBatch]]
    unmeasured: set[str]
    privacy: dict[str, float] = field(default_factory=dict)  # metric_type -> value
    # with the similarity filter: the rows the model learnt from, and the real rows held out
    split: tuple[pa.Table, pa.Table] | None = None


def _synthesise(plans: list[Plan], config: Config, db: Connector, progress: bool
                ) -> tuple[list[_Output], list[Relationship]]:
    """Every dataset learned before any table is written, so that a table the synthesizer
    rejects fails the call with nothing written. Also the relationships the linked datasets
    were generated with (by input table name), for the reports."""
    linked = [plan for plan in plans if plan.join_keys]
    seeds = _dataset_seeds(config.seed, len(plans) + 1)
    outputs: dict[int, _Output] = {}
    relationships: list[Relationship] = []
    if linked:
        linked_outputs, relationships = _synthesise_linked(linked, plans, config, db, seeds[-1],
                                                           progress)
        outputs.update(linked_outputs)
    for i, (plan, seed) in enumerate(zip(plans, seeds, strict=False)):
        if i in outputs:
            continue
        table = db.read_table(plan.source)
        if config.similarity_filter is not None:
            outputs[i] = _filtered(plan, table, config.similarity_filter, seed, progress)
            continue
        model = Synthesizer(random_state=seed, columns=plan.columns, progress=progress
                            ).fit(table)
        outputs[i] = _Output(partial(model.sample_batches, plan.dataset.num_rows),
                             _unmeasured(model.columns_))
    return [outputs[i] for i in range(len(plans))], relationships


def _synthesise_linked(linked: list[Plan], plans: list[Plan], config: Config,
                       db: Connector, seed: int | None, progress: bool
                       ) -> tuple[dict[int, _Output], list[Relationship]]:
    """Datasets with join keys, generated together (lookalike.multitable); with the similarity
    filter, whole families are held out and rows too close are drawn again
    (lookalike.privacy.families). Also the relationships they were generated with."""
    tables = {str(plan.source): db.read_table(plan.source) for plan in linked}
    keys = [KeyColumn(str(plan.source), column,
                      str(plan.key_parents[column]) if column in plan.key_parents else None)
            for plan in linked for column in plan.join_keys]
    relationships = infer_relationships(tables, keys)
    children = {r.child for r in relationships}
    _refuse_child_row_counts(linked, plans, children)
    options = config.similarity_filter
    train, holdout = (split_families(tables, relationships, seed=seed) if options is not None
                      else (tables, None))
    join_keys = {str(plan.source): plan.join_keys for plan in linked}
    model = MultiTableSynthesizer(
        relationships=relationships, random_state=seed,
        columns={str(plan.source): plan.columns for plan in linked},
        key_replace={(str(plan.source), column): kind for plan in linked
                     for column, kind in plan.key_replace.items()},
        secret=config.consistency_secret, progress=progress,
    ).fit(train, keys=join_keys)
    num_rows = _root_rows(linked, tables, children, every=options is not None)
    if options is None:
        synthetic, privacy = model.sample(num_rows), {}
    else:
        synthetic, privacy = private_family_sample(model, train, holdout, num_rows, options,
                                                   keys=join_keys)
    outputs = {}
    for plan in linked:
        name = str(plan.source)
        table_model = model.tables_[name].model
        outputs[plans.index(plan)] = _Output(
            partial(_batches_of, synthetic[name]),
            _unmeasured(table_model.columns_) | set(plan.join_keys), privacy.get(name, {}),
            None if holdout is None else (train[name], holdout[name]),
        )
    return outputs, relationships


def _root_rows(linked: list[Plan], tables: Mapping[str, pa.Table], children: set[str], *,
               every: bool) -> dict[str, int]:
    """Rows asked for per table without a parent: `num_rows` where set, and with `every`
    (the model learned from part of the rows) the real table's count where not."""
    counts = {}
    for plan in linked:
        name = str(plan.source)
        if plan.dataset.num_rows is not None:
            counts[name] = plan.dataset.num_rows
        elif every and name not in children:
            counts[name] = tables[name].num_rows
    return counts


def _filtered(plan: Plan, table: pa.Table, options: FilterOptions, seed: int | None,
              progress: bool) -> _Output:
    """Learn 80 % of the table, calibrate the filter on the 20 % held out, top up to the
    requested count; the privacy measures against the holdout come with it."""
    train, holdout = split_holdout(table, seed=seed)
    model = Synthesizer(random_state=seed, columns=plan.columns, progress=progress).fit(train)
    rows = plan.dataset.num_rows if plan.dataset.num_rows is not None else table.num_rows
    output, values = private_sample(model, train, holdout, rows, options,
                                    exclude=set(plan.join_keys))
    return _Output(partial(_batches_of, output), _unmeasured(model.columns_), values,
                   None if holdout is None else (train, holdout))


def _refuse_child_row_counts(linked: list[Plan], plans: list[Plan], children: set[str]) -> None:
    problems = [
        f"datasets[{plans.index(plan)}].num_rows: the rows of {plan.source} follow from its "
        f"parent's rows (it is a child through its join key); set num_rows on the parent"
        for plan in linked if plan.dataset.num_rows is not None and str(plan.source) in children
    ]
    if problems:
        raise ConfigError("invalid configuration: " + "; ".join(problems))


def _batches_of(table: pa.Table) -> Iterator[pa.RecordBatch]:
    return iter(table.to_batches(max_chunksize=100_000))


def _unmeasured(specs: list[ColumnSpec]) -> set[str]:
    return {spec.name for spec in specs if spec.kind in UNMEASURED_KINDS}


def _dataset_seeds(seed: int | None, count: int) -> list[int | None]:
    """Independent seeds per dataset from one seed, so adding a dataset leaves the others as
    they were."""
    if seed is None:
        return [None] * count
    children = np.random.SeedSequence(seed).spawn(count)
    return [int(child.generate_state(1)[0]) for child in children]


def _write(plans: list[Plan], outputs: list[_Output], db: Connector) -> None:
    staged: list[tuple[TableName, TableName]] = []
    try:
        for plan, output in zip(plans, outputs, strict=True):
            staged.append((db.stage(output.batches(), plan.output, plan.source), plan.output))
        db.publish(staged)
    except BaseException:
        for staging, _ in staged:
            db.drop(staging)
        raise


def _written_reports(plans: list[Plan], outputs: list[_Output],
                     relationships: list[Relationship], db: Connector, folder: Path) -> None:
    try:
        _reports(plans, outputs, db, folder)
        _relationship_reports(plans, outputs, relationships, db, folder)
    except (LookalikeError, OSError) as error:
        warnings.warn(f"the quality reports in {folder} could not all be written: {error}",
                      UserWarning, stacklevel=3)


def _reports(plans: list[Plan], outputs: list[_Output], db: Connector, folder: Path) -> None:
    """One HTML quality report per output table. With the similarity filter the model learnt
    from part of the rows, and the rest are the report's holdout: its fresh-real reference and
    its privacy section; without it, fidelity and the discriminator against all real rows."""
    from lookalike.report import report_for_output

    for plan, output in zip(plans, outputs, strict=True):
        real, holdout = output.split or (db.read_table(plan.source), None)
        if holdout is not None and holdout.num_rows == 0:
            real, holdout = db.read_table(plan.source), None
        report_for_output(real, db.read_table(plan.output), folder, str(plan.output),
                          columns=_measured(plan, output), holdout=holdout)


def _relationship_reports(plans: list[Plan], outputs: list[_Output],
                          relationships: list[Relationship], db: Connector, folder: Path) -> None:
    """One relationship report per parent -> child pair the synthesizer generated together:
    the child joined to its parent, and the children per parent (lookalike.report)."""
    from lookalike.report import report_relationship_for_output

    by_source = {str(plan.source): i for i, plan in enumerate(plans)}
    for relationship in relationships:
        parent, child = by_source[relationship.parent], by_source[relationship.child]
        report_relationship_for_output(
            _learnt_from(plans[parent], outputs[parent], db),
            _learnt_from(plans[child], outputs[child], db),
            db.read_table(plans[parent].output), db.read_table(plans[child].output), folder,
            parent=str(plans[parent].output), child=str(plans[child].output),
            parent_key=relationship.parent_key, child_key=relationship.child_key,
            parent_columns=_measured(plans[parent], outputs[parent]),
            child_columns=_measured(plans[child], outputs[child]),
            **_held_out_families(outputs[parent], outputs[child]))


def _held_out_families(parent: _Output, child: _Output) -> dict[str, pa.Table]:
    """With the similarity filter, the families it held out: the report's holdout."""
    if parent.split is None or child.split is None or not parent.split[1].num_rows:
        return {}
    return {"holdout_parent": parent.split[1], "holdout_child": child.split[1]}


def _learnt_from(plan: Plan, output: _Output, db: Connector) -> pa.Table:
    """The real rows the model learnt from: with the similarity filter, its training split."""
    return output.split[0] if output.split is not None else db.read_table(plan.source)


def _measured(plan: Plan, output: _Output) -> list[str]:
    return [name for name in plan.schema.names if name not in output.unmeasured]


def _metrics(plans: list[Plan], outputs: list[_Output], db: Connector,
             created_on: datetime) -> pd.DataFrame:
    frames = [
        correlation_metrics(
            db.read_table(plan.source), db.read_table(plan.output),
            source_name=plan.source, output_name=plan.output, created_on=created_on,
            unmeasured=output.unmeasured,
        )
        for plan, output in zip(plans, outputs, strict=True)
    ]
    frames += [privacy_metric_rows(output.privacy, source_name=plan.source,
                                   output_name=plan.output, created_on=created_on)
               for plan, output in zip(plans, outputs, strict=True) if output.privacy]
    if not frames:
        return pd.DataFrame(columns=list(METRIC_COLUMNS))
    return pd.concat(frames, ignore_index=True)
