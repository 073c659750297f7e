"""The LLM route end to end: where the schema comes from, which backend answers, where the rows
go. `lookalike llm` is a thin shell over `generate_table`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from lookalike.errors import ConfigError, InvalidOptionError
from lookalike.io.duckdb import DuckDBConnector, TableName, quote
from lookalike.io.files import read_table, refuse_overwrite, write_table
from lookalike.llm.backends import Backend, OpenAIBackend
from lookalike.llm.generate import Generated, generate_rows
from lookalike.llm.local import DEFAULT_MODEL, MODEL_NAMES, LocalBackend
from lookalike.llm.prompt import example_rows
from lookalike.llm.schema import TableSchema

SAMPLE_ROWS = 100_000  # rows read from a source table to detect types, nulls and categories


def make_backend(endpoint: str | None = None, model: str | None = None,
                 api_key: str | None = None, *, log: Callable[[str], None] | None = None
                 ) -> Backend:
    """The embedded model when no endpoint is given, else the OpenAI-compatible endpoint."""
    if endpoint:
        return OpenAIBackend(endpoint, model, api_key)
    if model not in (None, *MODEL_NAMES):
        raise InvalidOptionError(f"model {model!r} needs --endpoint URL; without one, the "
                                 f"embedded model {DEFAULT_MODEL!r} ('local') is used")
    return LocalBackend(log=log)


def generate_table(rows: int, *, backend: Backend, schema: TableSchema | str | Path | None = None,
                   table: str | None = None, database: str | None = None,
                   data: pa.Table | str | Path | None = None, output: str | Path | None = None,
                   output_table: str | None = None, examples: int = 10,
                   example_rows_from: str | None = None, seed: int | None = None,
                   batch_size: int | None = None, temperature: float = 1.0,
                   progress: bool = False) -> Generated:
    """`rows` fake rows for one source, written to `output` (CSV/Parquet) or `output_table`.

    The source is exactly one of: `schema` (a TableSchema or a schema JSON file; no data),
    `table` in the DuckDB `database`, or `data` (an Arrow table or a CSV/Parquet file).
    `example_rows_from` is "real", "synthetic" or "none"; by default real rows for the embedded
    model and synthetic ones for a hosted endpoint, so no real value leaves the machine."""
    sources = [s for s in (schema, table, data) if s is not None]
    if len(sources) != 1:
        raise InvalidOptionError("give exactly one source: --schema FILE, --table NAME (with "
                                 "--database) or --input FILE")
    if output is not None and output_table is not None:
        raise InvalidOptionError("give --output FILE or --output-table NAME, not both")
    if output_table is not None and database is None:
        raise ConfigError("--output-table needs --database duckdb:///path/to/file.duckdb")
    if output is not None:
        refuse_overwrite({"--output": output}, {
            "--input": data if isinstance(data, (str, Path)) else None,
            "--schema": schema if isinstance(schema, (str, Path)) else None})
    connector = DuckDBConnector(database) if database is not None else None
    try:
        source_name, real, table_schema = _source(schema, table, data, connector)
        if output_table is not None and source_name is not None and (
                connector.find_table(output_table) == source_name):
            raise InvalidOptionError(
                f"--output-table {output_table} is the source table {source_name}: lookalike "
                f"never writes over the table it reads; choose another name")
        rng = np.random.default_rng(seed)
        mode = example_rows_from or ("synthetic" if backend.hosted else "real")
        shown = example_rows(real, table_schema, examples, mode, rng) if real is not None else []
        result = generate_rows(table_schema, rows, backend=backend, examples=shown,
                               batch_size=batch_size, temperature=temperature,
                               seed=int(rng.integers(2**31)), progress=progress)
        if output is not None:
            write_table(result.table.to_batches(), result.table.schema, output)
        if output_table is not None:
            _write_duckdb(connector, result.table, table_schema, output_table, source_name)
        return result
    finally:
        if connector is not None:
            connector.close()


def _source(schema: TableSchema | str | Path | None, table: str | None, data: object,
            connector: DuckDBConnector | None
            ) -> tuple[TableName | None, pa.Table | None, TableSchema]:
    if schema is not None:
        return None, None, schema if isinstance(schema, TableSchema) else (
            TableSchema.from_file(schema))
    if data is not None:
        real = data if isinstance(data, pa.Table) else read_table(data)
        name = Path(data).stem if not isinstance(data, pa.Table) else "table"
        return None, real, TableSchema.from_arrow(real, name=name)
    if connector is None:
        raise ConfigError("--table needs --database duckdb:///path/to/file.duckdb")
    found = connector.find_table(table)
    if found is None:
        raise ConfigError(f"no table {table!r} in the database")
    real = connector.connection.sql(
        f"SELECT * FROM {found.sql} USING SAMPLE {SAMPLE_ROWS} ROWS").to_arrow_table()
    sql_types = dict(connector.columns(found))
    declared = _not_null_columns(connector, found)
    detected = TableSchema.from_arrow(real, name=found.table, sql_types=sql_types)
    columns = tuple(c if c.name not in declared else _not_null(c) for c in detected.columns)
    return found, real, TableSchema(columns, name=found.table)


def _not_null_columns(connector: DuckDBConnector, table: TableName) -> set[str]:
    rows = connector.connection.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? "
        "AND table_name = ? AND NOT is_nullable",
        [table.database, table.schema, table.table]).fetchall()
    return {row[0] for row in rows}


def _not_null(column):  # a declared NOT NULL wins over NULLs seen in a sample: there are none
    from dataclasses import replace

    return replace(column, nullable=False)


def _write_duckdb(connector: DuckDBConnector, table: pa.Table, schema: TableSchema,
                  name: str, like: TableName | None) -> None:
    """Write atomically (stage, then publish) with the source's SQL types, or the schema's."""
    output = connector.new_table_name(name)
    if output is None:
        raise ConfigError(f"cannot create {name!r}: its schema does not exist in the database")
    template = None
    if like is None:
        template = TableName(output.database, output.schema,
                             f"{output.table}__lookalike_template_{uuid.uuid4().hex[:12]}")
        columns = ", ".join(f"{quote(c.name)} {c.type}" + ("" if c.nullable else " NOT NULL")
                            for c in schema.columns)
        connector.connection.execute(f"CREATE TABLE {template.sql} ({columns})")
        like = template
    try:
        connector.write_table(table.to_batches(), output, like)
    finally:
        if template is not None:
            connector.drop(template)
