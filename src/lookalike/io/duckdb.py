"""An embedded DuckDB database as a source and destination of tables.

A small connector: open it from a URL or wrap an open connection, use it as a context manager,
resolve `DB.SCHEMA.TABLE` names, read a table as Arrow, and write a table atomically.

Names follow the warehouse's rules: unquoted identifiers match case-insensitively, quoted ones
("My Table") keep their case. Writes go to a staging table first and are published by dropping the
old output and renaming the staging table in one transaction, so a failed run never leaves a
partial table and keeps an existing output intact.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import duckdb
import pyarrow as pa

from lookalike.errors import ConfigError, ReadError

URL_PREFIX = "duckdb:///"
STAGING_MARKER = "__lookalike_staging_"


@dataclass(frozen=True)
class TableName:
    """A fully resolved table name, spelt as the catalog spells it."""

    database: str
    schema: str
    table: str

    @property
    def sql(self) -> str:
        return ".".join(quote(part) for part in (self.database, self.schema, self.table))

    def __str__(self) -> str:
        return f"{self.database}.{self.schema}.{self.table}"


@dataclass(frozen=True)
class Identifier:
    text: str
    quoted: bool

    def matches(self, name: str) -> bool:
        return name == self.text if self.quoted else name.casefold() == self.text.casefold()


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def split_name(name: str) -> list[Identifier]:
    """`DB.SCHEMA.TABLE` into its parts; dots and doubled quotes inside "quotes" are literal."""
    parts: list[Identifier] = []
    current, quoted, in_quotes, i = "", False, False, 0
    while i < len(name):
        char = name[i]
        if in_quotes and char == '"' and name[i + 1:i + 2] == '"':
            current, i = current + '"', i + 2
            continue
        if char == '"':
            in_quotes, quoted = not in_quotes, True
        elif char == "." and not in_quotes:
            parts.append(Identifier(current if quoted else current.strip(), quoted))
            current, quoted = "", False
        else:
            current += char
        i += 1
    if in_quotes:
        raise ConfigError(f"table name {name!r} has an unclosed double quote")
    parts.append(Identifier(current if quoted else current.strip(), quoted))
    if len(parts) > 3 or any(not part.text for part in parts):
        raise ConfigError(f"table name {name!r} is not of the form DB.SCHEMA.TABLE")
    return parts


def connection_from_url(url: str | Path) -> duckdb.DuckDBPyConnection:
    """Open `duckdb:///relative/path.duckdb`, `duckdb:////absolute/path.duckdb`,
    `duckdb:///:memory:` or a plain path. A missing file is an error, not a new empty database:
    the procedure reads its inputs from it."""
    text = str(url)
    path = text[len(URL_PREFIX):] if text.startswith(URL_PREFIX) else text
    if path == ":memory:":
        return duckdb.connect(":memory:")
    if "://" in text and not text.startswith(URL_PREFIX):
        raise ConfigError(f"unsupported database URL {text!r}; use duckdb:///path/to/file.duckdb")
    if not Path(path).is_file():
        raise ReadError(f"no DuckDB database at {path}")
    return duckdb.connect(path)


class DuckDBConnector:
    """Tables of one DuckDB database. Closes the connection on exit only if it opened it."""

    def __init__(self, database: str | Path | duckdb.DuckDBPyConnection) -> None:
        self._owned = not isinstance(database, duckdb.DuckDBPyConnection)
        self.connection = connection_from_url(database) if self._owned else database

    def __enter__(self) -> DuckDBConnector:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._owned:
            self.connection.close()

    # -- catalog --------------------------------------------------------------------------------

    def tables(self) -> list[TableName]:
        """Every table and view, temporary ones excluded."""
        rows = self.connection.execute(
            "SELECT database_name, schema_name, table_name FROM duckdb_tables() "
            "WHERE NOT temporary UNION ALL "
            "SELECT database_name, schema_name, view_name FROM duckdb_views() "
            "WHERE NOT internal AND NOT temporary"
        ).fetchall()
        return [TableName(*row) for row in rows]

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
        staging = TableName(output.database, output.schema,
                            f"{output.table}{STAGING_MARKER}{uuid.uuid4().hex[:12]}")
        self.connection.execute(f"CREATE TABLE {staging.sql} AS SELECT * FROM {like.sql} LIMIT 0")
        view = f"lookalike_batch_{uuid.uuid4().hex[:12]}"
        try:
            for batch in batches:
                self.connection.register(view, batch)
                try:
                    self.connection.execute(f"INSERT INTO {staging.sql} SELECT * FROM {view}")
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

    def drop(self, table: TableName) -> None:
        self.connection.execute(f"DROP TABLE IF EXISTS {table.sql}")

    def row_count(self, table: TableName) -> int:
        return self.connection.execute(f"SELECT count(*) FROM {table.sql}").fetchall()[0][0]
