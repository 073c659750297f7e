"""An embedded DuckDB database as a source and destination of tables.

A small connector: open it from a URL or wrap an open connection, use it as a context manager,
resolve `DB.SCHEMA.TABLE` names, read a table as Arrow, and write a table atomically.

Names follow the warehouse's rules: unquoted identifiers match case-insensitively, quoted ones
("My Table") keep their case. Writes go to a staging table first and are published by dropping the
old output and renaming the staging table in one transaction, so a failed run never leaves a
partial table and keeps an existing output intact.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from lookalike.errors import ConfigError, ReadError
from lookalike.io.base import (
    BATCH_ROWS,
    ClosesWhatItOpened,
    Column,
    ForeignKey,
    TableInfo,
    TableName,
    TableWrite,
    WriteError,
    conform,
    drop_leftover_staging,
    duplicate_key_error,
    order_writes,
    quote,
    staging_name,
)
from lookalike.io.names import Identifier, split_name

URL_PREFIX = "duckdb:///"
ENGINE = "duckdb"
UNSUPPORTED = ("[]", "STRUCT", "MAP", "UNION", "BLOB", "INTERVAL", "BIT", "JSON")


def connection_from_url(url: str | Path) -> duckdb.DuckDBPyConnection:
    """Open `duckdb:///relative/path.duckdb`, `duckdb:////absolute/path.duckdb`,
    `duckdb:///:memory:` or a plain path. A missing file is an error, not a new empty database:
    the procedure reads its inputs from it."""
    text = str(url)
    path = text.removeprefix(URL_PREFIX)
    if path == ":memory:":
        return duckdb.connect(":memory:")
    if "://" in text and not text.startswith(URL_PREFIX):
        raise ConfigError(f"unsupported database URL {text!r}; use duckdb:///path/to/file.duckdb")
    if not Path(path).is_file():
        raise ReadError(f"no DuckDB database at {path}")
    try:
        return duckdb.connect(path)
    except duckdb.Error as error:  # not a DuckDB file, or locked by another process
        raise ReadError(f"cannot open the DuckDB database {path}: {error}") from error


class DuckDBConnector(ClosesWhatItOpened):
    """Tables of one DuckDB database. Closes the connection on exit only if it opened it."""

    engine = ENGINE

    def __init__(self, database: str | Path | duckdb.DuckDBPyConnection) -> None:
        self._owned = not isinstance(database, duckdb.DuckDBPyConnection)
        self.connection = connection_from_url(database) if self._owned else database
        self.url = str(database) if self._owned else "duckdb connection"

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple]:
        return self.connection.execute(sql, list(parameters)).fetchall()

    def current(self) -> tuple[str, str]:
        database, schema = self.connection.execute(
            "SELECT current_database(), current_schema()").fetchall()[0]
        return database, schema

    def sql_name(self, table: TableName) -> str:
        return table.sql

    def identity(self) -> tuple[str, int, str]:
        """Where the data lives, to refuse copying a database onto itself."""
        path = self.connection.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()[0][0]
        return ("file", 0, str(Path(path).resolve()) if path else f"memory:{id(self)}")

    # -- catalog --------------------------------------------------------------------------------

    def tables(self, schema: str | None = None) -> list[TableName]:
        """Every table and view (of `schema`, if given), temporary ones excluded."""
        rows = self.connection.execute(
            "SELECT database_name, schema_name, table_name FROM duckdb_tables() "
            "WHERE NOT temporary UNION ALL "
            "SELECT database_name, schema_name, view_name FROM duckdb_views() "
            "WHERE NOT internal AND NOT temporary"
        ).fetchall()
        return [TableName(*row) for row in rows if schema is None or row[1] == schema]

    def describe(self, table: TableName) -> TableInfo:
        """Columns with types and NOT NULL, primary key, unique constraints, foreign keys."""
        where = [table.database, table.schema, table.table]
        rows = self.connection.execute(
            "SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE "
            "database_name = ? AND schema_name = ? AND table_name = ? ORDER BY column_index",
            where).fetchall()
        schema = self.arrow_schema(table)
        columns = tuple(_column(name, sql_type, nullable, schema.field(name).type)
                        for name, sql_type, nullable in rows)
        primary: tuple[str, ...] = ()
        unique, foreign = [], []
        for kind, names, parent, parent_names in self.connection.execute(
                "SELECT constraint_type, constraint_column_names, referenced_table, "
                "referenced_column_names FROM duckdb_constraints() WHERE database_name = ? "
                "AND schema_name = ? AND table_name = ? ORDER BY constraint_index",
                where).fetchall():
            if kind == "PRIMARY KEY":
                primary = tuple(names)
            elif kind == "UNIQUE":
                unique.append(tuple(names))
            elif kind == "FOREIGN KEY":
                foreign.append(ForeignKey(tuple(names), TableName(
                    table.database, table.schema, parent), tuple(parent_names)))
        return TableInfo(table, ENGINE, columns, primary, tuple(unique), tuple(foreign))

    def is_view(self, table: TableName) -> bool:
        return bool(self.connection.execute(
            "SELECT count(*) FROM duckdb_views() WHERE database_name = ? AND schema_name = ? "
            "AND view_name = ?", [table.database, table.schema, table.table]).fetchall()[0][0])

    def find_table(self, name: str) -> TableName | None:
        """The existing table or view `name` refers to, or None."""
        parts = self._qualified(split_name(name))
        for table in self.tables():
            if all(p.matches(n) for p, n in zip(parts, (table.database, table.schema,
                                                         table.table), strict=True)):
                return table
        return None

    def new_table_name(self, name: str) -> TableName | None:
        """Where a table called `name` would be created: its database and schema resolved
        against the catalog, its own name as written. None when the schema does not exist."""
        database, schema, table = self._qualified(split_name(name))
        schemas = self.connection.execute(
            "SELECT database_name, schema_name FROM duckdb_schemas()").fetchall()
        for database_name, schema_name in schemas:
            if database.matches(database_name) and schema.matches(schema_name):
                return TableName(database_name, schema_name, table.text)
        return None

    def columns(self, table: TableName) -> list[tuple[str, str]]:
        """(name, SQL type) of every column, in order."""
        return self.connection.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? "
            "AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [table.database, table.schema, table.table],
        ).fetchall()

    def distinct_rows(self, table: TableName, enough: int) -> int:
        """Distinct rows of `table`, counted up to `enough` (a cheap check on large tables)."""
        return self.connection.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT * FROM {table.sql} LIMIT {int(enough)})"
        ).fetchall()[0][0]

    def _qualified(self, parts: list[Identifier]) -> list[Identifier]:
        if len(parts) == 3:
            return parts
        database, schema = self.connection.execute(
            "SELECT current_database(), current_schema()").fetchall()[0]
        defaults = [Identifier(database, True), Identifier(schema, True)]
        return defaults[: 3 - len(parts)] + parts

    # -- read and write -------------------------------------------------------------------------

    def read_table(self, table: TableName) -> pa.Table:
        return self.connection.sql(f"SELECT * FROM {table.sql}").to_arrow_table()

    def read_batches(self, table: TableName, batch_rows: int = BATCH_ROWS
                     ) -> Iterator[pa.RecordBatch]:
        """The table as a stream of Arrow record batches (DuckDB's own Arrow export)."""
        reader = self.connection.sql(f"SELECT * FROM {table.sql}").to_arrow_reader(batch_rows)
        yield from reader

    def arrow_schema(self, table: TableName) -> pa.Schema:
        """The Arrow schema `read_table` would give, without reading a row."""
        return self.connection.sql(f"SELECT * FROM {table.sql} LIMIT 0").to_arrow_table().schema

    def write_table(self, batches: Iterable[pa.RecordBatch], output: TableName,
                    like: TableName) -> int:
        """Write `batches` as `output`, with the column names and SQL types of `like`,
        replacing any existing `output` atomically. Returns the number of rows written."""
        staging = self.stage(batches, output, like)
        try:
            self.publish([(staging, output)])
        except BaseException:
            self.drop(staging)
            raise
        return self.row_count(output)

    def stage(self, batches: Iterable[pa.RecordBatch], output: TableName,
              like: TableName) -> TableName:
        """A new staging table next to `output`, typed like `like`, holding `batches`.
        On any failure the staging table is dropped before the error propagates."""
        drop_leftover_staging(self, output)
        staging = staging_name(output)
        info = self.describe(like)
        if info.primary_key:  # keep the source's key and NOT NULLs, as the servers do
            keyed = dataclasses.replace(info, unique=(), foreign_keys=())
            self.connection.execute(_create_table(TableWrite(staging, keyed, lambda: iter(()))))
        else:
            self.connection.execute(
                f"CREATE TABLE {staging.sql} AS SELECT * FROM {like.sql} LIMIT 0")
        view = f"lookalike_batch_{uuid.uuid4().hex[:12]}"
        try:
            for batch in batches:
                self.connection.register(view, batch)
                try:
                    self.connection.execute(f"INSERT INTO {staging.sql} SELECT * FROM {view}")
                except duckdb.ConstraintException as error:
                    if "primary key" in str(error).lower() or "duplicate key" in str(error).lower():
                        raise duplicate_key_error(output, info.primary_key) from error
                    raise
                finally:
                    self.connection.unregister(view)
        except BaseException:
            self.drop(staging)
            raise
        return staging

    def publish(self, renames: Sequence[tuple[TableName, TableName]]) -> None:
        """In one transaction, replace each output by its staging table: all or nothing."""
        self.connection.begin()
        try:
            for staging, output in renames:
                self.connection.execute(f"DROP TABLE IF EXISTS {output.sql}")
                self.connection.execute(
                    f"ALTER TABLE {staging.sql} RENAME TO {quote(output.table)}")
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise

    def write_tables(self, writes: Sequence[TableWrite], *, replace: bool = False) -> None:
        """Create and fill every table, parents first, with primary keys, unique constraints
        and foreign keys (declared in CREATE TABLE, as DuckDB requires), in one transaction.

        DuckDB checks a foreign key against rows already in the table, not rows of the same
        INSERT, and cannot add one to an existing table. So a self-reference is declared and its
        rows are inserted level by level (rows whose parent row is in, then their children);
        a key that closes a cycle between tables cannot be declared (a warning says so)."""
        ordered = order_writes(writes)
        for write in ordered:
            for fk in write.late_foreign_keys:
                if fk.parent != write.output:
                    warnings.warn(f"{write.output}: foreign key ({', '.join(fk.columns)}) -> "
                                  f"{fk.parent.table} is not declared: it closes a cycle, and "
                                  f"DuckDB cannot add a foreign key to a loaded table",
                                  UserWarning, stacklevel=2)
        self.connection.begin()
        try:
            for write in ordered:
                existing = self.find_table(write.output.sql)
                if existing is not None:
                    if not replace:
                        raise WriteError(f"{existing} already exists in {self.url}; pass "
                                         f"--replace to overwrite it")
                    self.connection.execute(f"DROP TABLE {existing.sql}")
                self._create_and_fill(write)
            self.connection.commit()
        except BaseException as error:
            self.connection.rollback()
            if isinstance(error, (WriteError, KeyboardInterrupt)):
                raise
            raise WriteError(f"writing to {self.url} failed, nothing was written: "
                             f"{str(error).splitlines()[0]}") from error

    def _create_and_fill(self, write: TableWrite) -> None:
        own = [fk for fk in write.late_foreign_keys if fk.parent == write.output]
        if not own:
            self.connection.execute(_create_table(write))
            write.rows = self._insert(write.output, write.info.arrow_schema, write.batches())
            return
        rows = pa.Table.from_batches(list(write.batches()), schema=write.info.arrow_schema)
        levels = self_reference_levels(rows, own)
        if levels is None:
            warnings.warn(f"{write.output}: the self-reference ({', '.join(own[0].columns)}) is "
                          f"not declared: some rows point at themselves or round in a loop",
                          UserWarning, stacklevel=3)
            own = []
        self.connection.execute(_create_table(write, own))
        by_level = [rows] if levels is None else [
            rows.filter(pa.array(levels == level)) for level in range(int(levels.max()) + 1)]
        write.rows = sum(self._insert(write.output, write.info.arrow_schema,
                                      part.to_batches()) for part in by_level)

    def _insert(self, table: TableName, schema: pa.Schema,
                batches: Iterable[pa.RecordBatch]) -> int:
        view = f"lookalike_batch_{uuid.uuid4().hex[:12]}"
        rows = 0
        for batch in batches:
            data = conform(batch, schema)
            self.connection.register(view, data)
            try:
                self.connection.execute(f"INSERT INTO {table.sql} SELECT * FROM {view}")
            finally:
                self.connection.unregister(view)
            rows += data.num_rows
        return rows

    def drop(self, table: TableName) -> None:
        self.connection.execute(f"DROP TABLE IF EXISTS {table.sql}")

    def row_count(self, table: TableName) -> int:
        return self.connection.execute(f"SELECT count(*) FROM {table.sql}").fetchall()[0][0]


def _column(name: str, sql_type: str, nullable: bool, arrow_type: pa.DataType) -> Column:
    supported = not any(word in sql_type.upper() for word in UNSUPPORTED)
    labels = tuple(v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", sql_type)
                   ) if sql_type.upper().startswith("ENUM(") else ()
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    return Column(name, sql_type, arrow_type if supported else pa.null(), bool(nullable),
                  enum_values=labels, uuid=sql_type.upper() == "UUID", supported=supported)


def column_type(column: Column, source_engine: str) -> str:
    """The DuckDB type of a column read from `source_engine`."""
    if source_engine == ENGINE:
        return column.sql_type
    kind = column.arrow_type
    if column.enum_values:
        return "ENUM(" + ", ".join("'" + v.replace("'", "''") + "'"
                                   for v in column.enum_values) + ")"
    if column.uuid:
        return "UUID"
    if pa.types.is_null(kind):
        return "JSON" if "json" in column.sql_type.lower() else "VARCHAR"
    if pa.types.is_decimal(kind):
        return f"DECIMAL({kind.precision},{kind.scale})"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMPTZ" if kind.tz else "TIMESTAMP"
    if pa.types.is_time(kind):
        return "TIME"
    simple = {pa.bool_(): "BOOLEAN", pa.int8(): "TINYINT", pa.int16(): "SMALLINT",
              pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.uint8(): "UTINYINT",
              pa.uint16(): "USMALLINT", pa.uint32(): "UINTEGER", pa.uint64(): "UBIGINT",
              pa.float32(): "FLOAT", pa.float64(): "DOUBLE", pa.date32(): "DATE"}
    return simple.get(kind, "VARCHAR")


def self_reference_levels(rows: pa.Table, foreign_keys: Sequence[ForeignKey]
                          ) -> np.ndarray | None:
    """Per row, the length of its chain of parent rows within the table (0: none, or NULL);
    None when a row points at itself or the references loop."""
    parents = []
    for fk in foreign_keys:
        keys = pd.MultiIndex.from_frame(rows.select(list(fk.parent_columns)).to_pandas())
        refs = rows.select(list(fk.columns)).to_pandas()
        position = keys.get_indexer(pd.MultiIndex.from_frame(refs))
        position[refs.isna().any(axis=1).to_numpy()] = -1
        parents.append(position)
    levels = np.zeros(rows.num_rows, dtype=np.int64)
    for _ in range(rows.num_rows + 1):
        deeper = levels.copy()
        for position in parents:
            linked = position >= 0
            deeper[linked] = np.maximum(deeper[linked], levels[position[linked]] + 1)
        if np.array_equal(deeper, levels):
            return levels
        levels = deeper
    return None


def _create_table(write: TableWrite, late: Sequence[ForeignKey] = ()) -> str:
    info = write.info
    parts = [f"{quote(c.name)} {column_type(c, info.engine)}"
             + (" NOT NULL" if not c.nullable and c.supported else "") for c in info.columns]
    if info.primary_key:
        parts.append(f"PRIMARY KEY ({', '.join(quote(c) for c in info.primary_key)})")
    parts.extend(f"UNIQUE ({', '.join(quote(c) for c in columns)})" for columns in info.unique)
    for fk in (*write.foreign_keys, *late):
        parts.append(f"FOREIGN KEY ({', '.join(quote(c) for c in fk.columns)}) REFERENCES "
                     f"{quote(fk.parent.schema)}.{quote(fk.parent.table)} "
                     f"({', '.join(quote(c) for c in fk.parent_columns)})")
    return f"CREATE TABLE {write.output.sql} (" + ", ".join(parts) + ")"
