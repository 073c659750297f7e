"""SQLite through the standard library's sqlite3.

URL: `sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite:///:memory:`. Writes are batched
`executemany` inside one transaction (SQLite's DDL is transactional, so a staging table renamed
into place, or a whole `write_tables`, is all or nothing).

SQLite stores values, not types: a column's Arrow type comes from its declared type, by SQLite's
affinity rules refined by the usual names: INT… → int64 (BOOL/BOOLEAN → bool); REAL/FLOAT/DOUBLE →
float64; DECIMAL(p,s)/NUMERIC(p,s) → decimal128(p,s); DATE, TIME, DATETIME/TIMESTAMP → date32,
time64[us], timestamp[us] (stored as ISO-8601 text); CHAR/VARCHAR(n)/TEXT/CLOB/UUID → string.
BLOB and JSON columns are written as NULL, with a warning.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from lookalike.errors import ConfigError, ReadError
from lookalike.io.base import (
    BATCH_ROWS,
    Column,
    ForeignKey,
    TableInfo,
    TableName,
    conform,
    decimal_or_float,
    unsupported_warning,
)
from lookalike.io.sql import SQLConnector, missing_table

ENGINE = "sqlite"
PREFIX = "sqlite:///"


def connect_url(url: str | Path) -> sqlite3.Connection:
    text = str(url)
    if "://" in text and not text.startswith(PREFIX):
        raise ConfigError(f"unsupported SQLite URL {text!r}; use sqlite:///path/to/file.db")
    path = text.removeprefix(PREFIX)
    if path != ":memory:" and not Path(path).parent.is_dir():
        raise ReadError(f"no folder {Path(path).parent} for the SQLite database {path}")
    if Path(path).is_dir():
        raise ReadError(f"{path} is a folder, not a SQLite database file")
    try:
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA schema_version").fetchall()  # reads the file's header
    except sqlite3.DatabaseError as error:  # not a database file, or one it cannot open
        raise ReadError(f"cannot open the SQLite database {path}: {error}") from error
    return connection


class SQLiteConnector(SQLConnector):
    """Tables of one SQLite file. Closes the connection on exit only if it opened it."""

    engine = ENGINE

    def __init__(self, database: str | Path | sqlite3.Connection) -> None:
        self._owned = not isinstance(database, sqlite3.Connection)
        self.connection = connect_url(database) if self._owned else database
        self.url = str(database) if self._owned else "sqlite connection"

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple]:
        return self.connection.execute(sql, tuple(parameters)).fetchall()

    @contextmanager
    def transaction(self):
        if self.connection.in_transaction:  # nested: a savepoint
            self.connection.execute("SAVEPOINT lookalike")
            try:
                yield
                self.connection.execute("RELEASE lookalike")
            except BaseException:
                self.connection.execute("ROLLBACK TO lookalike")
                raise
            return
        self.connection.execute("BEGIN")
        self.connection.execute("PRAGMA defer_foreign_keys = ON")  # checked at COMMIT
        try:
            yield
            self.connection.execute("COMMIT")
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise

    def identity(self) -> tuple[str, int, str]:
        file = self.execute("PRAGMA database_list")[0][2]
        return ("file", 0, str(Path(file).resolve()) if file else f"memory:{id(self)}")

    def inline_foreign_keys(self) -> bool:
        return True

    # -- catalog --------------------------------------------------------------------------------

    def current(self) -> tuple[str, str]:
        return "main", "main"

    def schemas(self) -> list[str]:
        return ["main"]

    def sql_name(self, table: TableName) -> str:
        return self.quote(table.table)

    def tables(self, schema: str | None = None) -> list[TableName]:
        rows = self.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        return [TableName("main", "main", row[0]) for row in rows]

    def is_view(self, table: TableName) -> bool:
        return bool(self.execute("SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = ?",
                                 [table.table]))

    def describe(self, table: TableName) -> TableInfo:
        rows = self.execute(f"PRAGMA table_info({self.quote(table.table)})")
        if not rows:
            raise missing_table(table)
        columns = []
        primary = [name for _, name, _, _, _, pk in sorted(rows, key=lambda r: r[5]) if pk]
        for _, name, declared, not_null, _, pk in rows:
            integer_key = pk and len(primary) == 1 and declared.upper() == "INTEGER"
            columns.append(_column(name, declared, not not_null and not pk, bool(integer_key)))
        unique = []
        for _, index, is_unique, origin, *_ in self.execute(
                f"PRAGMA index_list({self.quote(table.table)})"):
            if is_unique and origin == "u":
                info = self.execute(f"PRAGMA index_info({self.quote(index)})")
                unique.append(tuple(row[2] for row in sorted(info)))
        foreign: dict[int, list[tuple]] = {}
        for row in self.execute(f"PRAGMA foreign_key_list({self.quote(table.table)})"):
            foreign.setdefault(row[0], []).append(row)
        keys = []
        for members in foreign.values():
            members.sort(key=lambda r: r[1])
            parent = TableName("main", "main", members[0][2])
            parent_columns = tuple(m[4] for m in members)
            if any(c is None for c in parent_columns):  # REFERENCES parent: its primary key
                parent_columns = self.describe(parent).primary_key
            keys.append(ForeignKey(tuple(m[3] for m in members), parent, parent_columns))
        return TableInfo(table, ENGINE, tuple(columns), tuple(primary), tuple(unique),
                         tuple(keys))

    # -- read -----------------------------------------------------------------------------------

    def read_batches(self, table: TableName, batch_rows: int = BATCH_ROWS
                     ) -> Iterator[pa.RecordBatch]:
        info = self.describe(table)
        schema = info.arrow_schema
        read = [c for c in info.columns if c.supported]
        for column in info.columns:
            if not column.supported:
                unsupported_warning(table, column)
        listed = ", ".join(self.quote(c.name) for c in read) or "1"
        cursor = self.connection.execute(f"SELECT {listed} FROM {self.sql_name(table)}")
        while rows := cursor.fetchmany(batch_rows):
            arrays = {c.name: pa.array(_read_values(c.arrow_type, [row[i] for row in rows]),
                                       type=c.arrow_type) for i, c in enumerate(read)}
            table_ = pa.table(arrays) if arrays else pa.table({"_": pa.nulls(len(rows))})
            yield conform(table_, schema).to_batches()[0]

    # -- write ----------------------------------------------------------------------------------

    def column_type(self, column: Column, source_engine: str) -> str:
        if source_engine == ENGINE:
            return column.sql_type or "TEXT"
        kind = column.arrow_type
        if pa.types.is_boolean(kind):
            return "BOOLEAN"
        if pa.types.is_integer(kind):
            return "INTEGER"
        if pa.types.is_floating(kind):
            return "REAL"
        if pa.types.is_decimal(kind):
            return f"DECIMAL({kind.precision},{kind.scale})"
        if pa.types.is_date(kind):
            return "DATE"
        if pa.types.is_time(kind):
            return "TIME"
        if pa.types.is_timestamp(kind):
            return "TIMESTAMP"
        if column.uuid:
            return "UUID"
        if column.length:
            return f"VARCHAR({column.length})"
        if pa.types.is_null(kind) and "json" in column.sql_type.lower():
            return "JSON"
        return "TEXT"

    def load(self, table: TableName, info: TableInfo, batches: Iterable[pa.RecordBatch]) -> int:
        schema = info.arrow_schema
        listed = ", ".join(self.quote(c.name) for c in info.columns)
        marks = ", ".join(["?"] * len(info.columns))
        sql = f"INSERT INTO {self.sql_name(table)} ({listed}) VALUES ({marks})"
        rows = 0
        for batch in batches:
            data = conform(batch, schema)
            columns = [_write_values(data.column(i).to_pylist()) for i in range(len(schema))]
            self.connection.executemany(sql, zip(*columns))
            rows += data.num_rows
        return rows


def _column(name: str, declared: str, nullable: bool, identity: bool) -> Column:
    upper = declared.upper()
    common = {"name": name, "sql_type": declared, "nullable": nullable, "identity": identity}
    decimal = re.match(r"^(DECIMAL|NUMERIC)\s*\((\d+)\s*(?:,\s*(\d+))?\)", upper)
    if "BOOL" in upper:
        return Column(**common, arrow_type=pa.bool_())
    if "INT" in upper:
        return Column(**common, arrow_type=pa.int64())
    if decimal:
        return Column(**common, arrow_type=decimal_or_float(int(decimal.group(2)),
                                                            int(decimal.group(3) or 0)))
    if any(word in upper for word in ("REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL")):
        return Column(**common, arrow_type=pa.float64())
    if "DATETIME" in upper or "TIMESTAMP" in upper:
        return Column(**common, arrow_type=pa.timestamp("us"))
    if upper.startswith("DATE"):
        return Column(**common, arrow_type=pa.date32())
    if upper.startswith("TIME"):
        return Column(**common, arrow_type=pa.time64("us"))
    if "BLOB" in upper or "JSON" in upper:
        return Column(**common, arrow_type=pa.null(), supported=False)
    length = re.search(r"CHAR\s*\((\d+)\)", upper)
    return Column(**common, arrow_type=pa.string(), uuid=upper == "UUID",
                  length=int(length.group(1)) if length else None)


def _read_values(kind: pa.DataType, values: list) -> list:
    if pa.types.is_boolean(kind):
        return [None if v is None else bool(v) for v in values]
    if pa.types.is_decimal(kind):
        return [None if v is None else Decimal(str(v)).quantize(Decimal(1).scaleb(-kind.scale))
                for v in values]
    if pa.types.is_timestamp(kind):
        return [None if v is None else datetime.fromisoformat(v) for v in values]
    if pa.types.is_date(kind):
        return [None if v is None else date.fromisoformat(v[:10]) for v in values]
    if pa.types.is_time(kind):
        return [None if v is None else time.fromisoformat(v) for v in values]
    if pa.types.is_string(kind):
        return [None if v is None else str(v) for v in values]
    return values


def _write_values(values: list) -> list:
    if not values or not isinstance(next((v for v in values if v is not None), None),
                                    (Decimal, date, time)):
        return values
    return [None if v is None else str(v) if isinstance(v, Decimal) else v.isoformat(sep=" ")
            if isinstance(v, datetime) else v.isoformat() for v in values]
