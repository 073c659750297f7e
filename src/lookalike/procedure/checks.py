"""The second validation layer: does a well-formed configuration fit the database?

Tables and columns must exist, options must fit the column types, outputs must not clobber an
input or (without replace_output_tables) an existing table, and every input must have enough
distinct rows. Every problem is collected and raised in one ConfigError before anything is
generated, as the warehouse procedure does.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from lookalike.errors import ConfigError
from lookalike.io.base import Connector, TableName
from lookalike.metadata import is_string_type, physical_kind
from lookalike.procedure.config import Config, Dataset, did_you_mean, raise_problems
from lookalike.synthesizer import MIN_DISTINCT_ROWS


@dataclass
class Plan:
    """One dataset resolved against the database: what to read, what to write, and how."""

    dataset: Dataset
    source: TableName
    output: TableName
    schema: pa.Schema
    sql_types: dict[str, str]
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    join_keys: list[str] = field(default_factory=list)
    key_replace: dict[str, str] = field(default_factory=dict)  # string keys: uuid or email
    key_parents: dict[str, TableName] = field(default_factory=dict)  # declared parents


def plan_datasets(config: Config, db: Connector) -> list[Plan]:
    """A Plan per dataset, or one ConfigError naming every problem found."""
    problems: list[str] = []
    plans = [_plan(dataset, f"datasets[{i}]", config, db, problems)
             for i, dataset in enumerate(config.datasets)]
    _check_distinct_outputs(plans, problems)
    _resolve_parents(plans, db, problems)
    raise_problems(problems)
    return [plan for plan in plans if plan is not None]


def _plan(dataset: Dataset, where: str, config: Config, db: Connector,
          problems: list[str]) -> Plan | None:
    source = _source(dataset.input_table, f"{where}.input_table", db, problems)
    output = _output(dataset.output_table, f"{where}.output_table", source, config, db, problems)
    if source is None:
        return None
    plan = Plan(dataset, source, output or source, db.arrow_schema(source),
                dict(db.columns(source)))
    _resolve_columns(plan, where, problems)
    _declare_labels(plan, db)
    distinct = db.distinct_rows(source, MIN_DISTINCT_ROWS)
    if distinct < MIN_DISTINCT_ROWS:
        problems.append(f"{where}.input_table: {source} has {distinct} distinct rows; at least "
                        f"{MIN_DISTINCT_ROWS} are needed to learn from it without copying")
    return plan if output is not None else None


def _source(name: str, where: str, db: Connector, problems: list[str]) -> TableName | None:
    try:
        table = db.find_table(name)
    except ConfigError as error:
        problems.append(f"{where}: {error}")
        return None
    if table is None:
        known = [str(t) for t in db.tables()]
        problems.append(f"{where}: no table or view {name}{did_you_mean(name, known)}")
    return table


def _output(name: str, where: str, source: TableName | None, config: Config,
            db: Connector, problems: list[str]) -> TableName | None:
    try:
        existing = db.find_table(name)
        output = existing or db.new_table_name(name)
    except ConfigError as error:
        problems.append(f"{where}: {error}")
        return None
    if output is None:
        schema = name.rsplit(".", 1)[0]
        problems.append(f"{where}: no schema {schema} to create {name} in; create the schema first")
    elif output == source:
        problems.append(f"{where}: {name} is the input table; name a new table for the output")
        return None
    elif existing is not None and db.is_view(existing):
        problems.append(f"{where}: {existing} is a view, which an output table cannot replace; "
                        f"name another table")
    elif existing is not None and not config.replace_output_tables:
        problems.append(f"{where}: {existing} already exists; set replace_output_tables: true to "
                        f"overwrite it, or name another table")
    return output


def _resolve_columns(plan: Plan, where: str, problems: list[str]) -> None:
    """Match config columns to table columns case-insensitively, check that each option fits
    the column's type, and give columns of unsupported types the `null` kind."""
    by_folded = {f.name.casefold(): f for f in plan.schema}
    for name, options in plan.dataset.columns.items():
        column = by_folded.get(name.casefold())
        if column is None:
            problems.append(f"{where}.columns.{name}: no column {name} in {plan.source}"
                            f"{did_you_mean(name, plan.schema.names)}")
            continue
        string = is_string_type(column.type)
        for option in ("categorical", "replace"):
            if getattr(options, option) is not None and not string:
                problems.append(f"{where}.columns.{name}.{option}: applies to string columns "
                                f"only, and {column.name} has type {plan.sql_types[column.name]}")
        if options.join_key:
            plan.join_keys.append(column.name)
            if options.replace:
                plan.key_replace[column.name] = options.replace
        elif string and options.synthesizer_options():
            plan.columns[column.name] = options.synthesizer_options()
    for column in plan.schema:
        options = plan.columns.get(column.name, {})
        uuid = plan.sql_types[column.name].upper() == "UUID"
        if uuid and column.name not in plan.join_keys and (
                "replace" not in options and options.get("categorical") is not True):
            # a redacted value is not a UUID: fake UUIDs keep the column castable to its type
            plan.columns[column.name] = {**options, "replace": "uuid"}
        if physical_kind(column.type) is None:
            warnings.warn(f"{plan.source}: column {column.name} has type "
                          f"{plan.sql_types[column.name]}, which "
                          f"lookalike cannot synthesise; it is written as NULL in every row",
                          UserWarning, stacklevel=4)
            plan.columns[column.name] = {"kind": "null"}


def _declare_labels(plan: Plan, db: Connector) -> None:
    """Enum columns hold only their labels: the synthesizer learns them, so that categories it
    pools as rare come out as a label rather than a value the column cannot hold."""
    for column in db.describe(plan.source).columns:
        options = plan.columns.get(column.name, {})
        if (not column.enum_values or column.name in plan.join_keys or "replace" in options
                or options.get("categorical") is False or options.get("kind") == "null"):
            continue
        plan.columns[column.name] = {**options, "labels": list(column.enum_values)}


def _resolve_parents(plans: list[Plan | None], db: Connector, problems: list[str]) -> None:
    """Declared parents (`"parent"` next to `join_key`) must be input tables of this call."""
    sources = {plan.source for plan in plans if plan is not None}
    for i, plan in enumerate(plans):
        if plan is None:
            continue
        for name, options in plan.dataset.columns.items():
            if not options.parent:
                continue
            where = f"datasets[{i}].columns.{name}.parent"
            try:
                parent = db.find_table(options.parent)
            except ConfigError as error:
                problems.append(f"{where}: {error}")
                continue
            if parent not in sources:
                problems.append(f"{where}: {options.parent} is not an input_table of this call; "
                                f"a parent must be synthesised in the same call")
            elif parent == plan.source:
                problems.append(f"{where}: {plan.source} cannot be its own parent")
            else:
                column = next(c for c in plan.join_keys if c.casefold() == name.casefold())
                plan.key_parents[column] = parent


def _check_distinct_outputs(plans: list[Plan | None], problems: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, plan in enumerate(plans):
        if plan is None:
            continue
        key = str(plan.output).casefold()
        if key in seen:
            problems.append(f"datasets[{i}].output_table: {plan.output} is also the output of "
                            f"datasets[{seen[key]}]; give each dataset its own output")
        seen.setdefault(key, i)
