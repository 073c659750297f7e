"""MySQL and MariaDB through PyMySQL (MIT; mysqlclient is GPL and not used).

URL: `mysql://user[:password]@host[:port]/database` (also `mariadb://`, `mysql+pymysql://`). A
password not in the URL comes from `MYSQL_PWD`, then the `[client]` section of `~/.my.cnf`.
Passwords never appear in a message. Reads stream through an unbuffered cursor; writes are
batched multi-row INSERTs (PyMySQL's `executemany`), into a staging table that
`RENAME TABLE out TO old, staging TO out` swaps in atomically.

Types, read as: tinyint(1)/bool → bool; tinyint/smallint/mediumint/int/bigint → int8…int64
(unsigned: the next wider type); float/double; decimal(p,s) → decimal128(p,s); date; time →
time64[us]; datetime → timestamp[us]; timestamp → timestamp[us, UTC] (the session runs in UTC);
year → int16; char/varchar(n)/text → string (length kept); enum → string (labels kept, the target
column stays an enum). json, blob, binary, bit, set, geometry: NULL with a warning.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pymysql
import pymysql.cursors

from lookalike.errors import ReadError
from lookalike.io.base import (
    BATCH_ROWS,
    STAGING_MARKER,
    Column,
    ForeignKey,
    TableInfo,
    TableName,
    TableWrite,
    WriteError,
    conform,
    decimal_or_float,
    drop_leftover_staging,
    duplicate_key_error,
    mask_url,
    order_writes,
    scrub,
    staging_name,
    unsupported_warning,
)
from lookalike.io.sql import SQLConnector, _first_line, missing_table

ENGINE = "mysql"
INSERT_ROWS = 5_000
INTEGERS = {"tinyint": 8, "smallint": 16, "mediumint": 32, "int": 32, "integer": 32, "bigint": 64}
TEXTS = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext"}


def connect_url(url: str) -> tuple[pymysql.connections.Connection, str]:
    parts = urlsplit(re.sub(r"^(mysql|mariadb)(\+\w+)?://", "mysql://", str(url)))
    password = unquote(parts.password) if parts.password is not None else os.environ.get(
        "MYSQL_PWD")
    options = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 3306,
                   "user": unquote(parts.username or "root"), "database": parts.path.lstrip("/") or None,
                   "charset": "utf8mb4", "autocommit": True, "init_command": "SET time_zone = '+00:00'"}
    masked = mask_url(str(url))
    if password is not None:
        options["password"] = password
    elif (Path.home() / ".my.cnf").is_file():
        options["read_default_file"] = str(Path.home() / ".my.cnf")
    try:
        return pymysql.connect(**options), masked
    except pymysql.MySQLError as error:
        raise ReadError(f"cannot connect to {masked}: {scrub(str(error), password)}") from None


class MySQLConnector(SQLConnector):
    """Tables of one MySQL/MariaDB database (its schema). Closes the connection on exit only if
    it opened it."""

    engine = ENGINE

    def __init__(self, database: str | pymysql.connections.Connection) -> None:
        self._owned = not isinstance(database, pymysql.connections.Connection)
        if self._owned:
            self.connection, self.url = connect_url(str(database))
        else:
            self.connection = database
            self.url = f"mysql://{_text(database.user)}@{database.host}:{database.port}/" \
                       f"{_text(database.db)}"
        self.database = self.execute("SELECT database()")[0][0]
        if not self.database:
            raise ReadError(f"{self.url}: name a database in the URL (mysql://host/database)")

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def sql_name(self, table: TableName) -> str:
        return f"{self.quote(table.schema)}.{self.quote(table.table)}"

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, tuple(parameters) or None)
            return list(cursor.fetchall()) if cursor.description else []

    @contextmanager
    def transaction(self):
        """Data statements only: MySQL commits DDL implicitly, so atomicity comes from
        staging tables and RENAME TABLE instead."""
        self.connection.begin()
        try:
            yield
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise

    def identity(self) -> tuple[str, int, str]:
        return (self.connection.host, self.connection.port, self.database)

    # -- catalog --------------------------------------------------------------------------------

    def current(self) -> tuple[str, str]:
        return self.database, self.database

    def schemas(self) -> list[str]:
        return [self.database]

    def tables(self, schema: str | None = None) -> list[TableName]:
        rows = self.execute("SELECT table_name FROM information_schema.tables WHERE "
                            "table_schema = %s ORDER BY table_name", [schema or self.database])
        return [TableName(self.database, schema or self.database, row[0]) for row in rows]

    def is_view(self, table: TableName) -> bool:
        rows = self.execute("SELECT table_type FROM information_schema.tables WHERE "
                            "table_schema = %s AND table_name = %s", [table.schema, table.table])
        return bool(rows) and rows[0][0] == "VIEW"

    def describe(self, table: TableName) -> TableInfo:
        rows = self.execute(
            "SELECT column_name, column_type, data_type, is_nullable, extra, "
            "character_maximum_length, numeric_precision, numeric_scale FROM "
            "information_schema.columns WHERE table_schema = %s AND table_name = %s "
            "ORDER BY ordinal_position", [table.schema, table.table])
        if not rows:
            raise missing_table(table)
        json_columns = self._json_columns(table)
        columns = tuple(
            Column(row[0], "json", pa.null(), row[3] == "YES", supported=False)
            if row[0] in json_columns else _column(*row) for row in rows)
        keys = self.execute(
            "SELECT k.constraint_name, t.constraint_type, k.column_name, "
            "k.referenced_table_schema, k.referenced_table_name, k.referenced_column_name "
            "FROM information_schema.key_column_usage k JOIN "
            "information_schema.table_constraints t ON t.constraint_schema = "
            "k.constraint_schema AND t.table_name = k.table_name AND t.constraint_name = "
            "k.constraint_name WHERE k.table_schema = %s AND k.table_name = %s "
            "ORDER BY k.constraint_name, k.ordinal_position", [table.schema, table.table])
        grouped: dict[str, list[tuple]] = {}
        for row in keys:
            grouped.setdefault(row[0], []).append(row)
        primary: tuple[str, ...] = ()
        unique, foreign = [], []
        for name, members in grouped.items():
            kind, names = members[0][1], tuple(m[2] for m in members)
            if kind == "PRIMARY KEY":
                primary = names
            elif kind == "UNIQUE":
                unique.append(names)
            elif kind == "FOREIGN KEY":
                parent = TableName(self.database, members[0][3], members[0][4])
                foreign.append(ForeignKey(names, parent, tuple(m[5] for m in members), name))
        return TableInfo(table, ENGINE, columns, primary, tuple(unique), tuple(foreign))

    def _json_columns(self, table: TableName) -> set[str]:
        """MariaDB spells json as longtext with a json_valid() check."""
        try:
            checks = self.execute("SELECT check_clause FROM information_schema.check_constraints "
                                  "WHERE constraint_schema = %s AND table_name = %s",
                                  [table.schema, table.table])
        except pymysql.MySQLError:
            return set()
        return {m for (clause,) in checks for m in re.findall(r"json_valid\(`([^`]+)`\)",
                                                              clause)}

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
        converters = [_reader(c.arrow_type) for c in read]
        with self.connection.cursor(pymysql.cursors.SSCursor) as cursor:
            cursor.execute(f"SELECT {listed} FROM {self.sql_name(table)}")
            while rows := cursor.fetchmany(batch_rows):
                arrays = {}
                for i, (column, convert) in enumerate(zip(read, converters, strict=True)):
                    values = [row[i] for row in rows]
                    arrays[column.name] = pa.array(convert(values), type=column.arrow_type)
                yield conform(pa.table(arrays) if arrays else pa.table(
                    {"_": pa.nulls(len(rows))}), schema).to_batches()[0]

    # -- write ----------------------------------------------------------------------------------

    def column_type(self, column: Column, source_engine: str) -> str:
        if source_engine == ENGINE:
            sql = column.sql_type
        else:
            sql = _type_from_arrow(column)
        if column.name in self._keys and sql.endswith("text"):
            sql = "varchar(255)"
        if column.identity and pa.types.is_integer(column.arrow_type) and "auto_increment" \
                not in sql.lower():
            sql += " AUTO_INCREMENT"
        return sql

    def create_table_sql(self, name: TableName, info: TableInfo, **options) -> str:
        """As for every engine, but key columns of type text become varchar(255): MySQL
        indexes no text column without a prefix length."""
        keys = set(info.primary_key).union(*info.unique, *(fk.columns for fk in
                                                            options.get("foreign_keys", ())))
        self._keys = keys
        try:
            return super().create_table_sql(name, info, **options)
        finally:
            self._keys = frozenset()

    _keys: frozenset[str] | set[str] = frozenset()

    def load(self, table: TableName, info: TableInfo, batches: Iterable[pa.RecordBatch]) -> int:
        """Multi-row INSERTs of INSERT_ROWS rows (PyMySQL folds executemany into them)."""
        schema = info.arrow_schema
        listed = ", ".join(self.quote(c.name) for c in info.columns)
        marks = ", ".join(["%s"] * len(info.columns))
        sql = f"INSERT INTO {self.sql_name(table)} ({listed}) VALUES ({marks})"
        rows = 0
        with self.connection.cursor() as cursor:
            for batch in batches:
                data = conform(batch, schema)
                columns = [_writer(f.type, data.column(i).to_pylist())
                           for i, f in enumerate(schema)]
                values = list(zip(*columns)) if columns else []
                for start in range(0, len(values), INSERT_ROWS):
                    cursor.executemany(sql, values[start:start + INSERT_ROWS])
                rows += data.num_rows
        return rows

    def stage(self, batches: Iterable[pa.RecordBatch], output: TableName,
              like: TableName | TableInfo) -> TableName:
        info = like if isinstance(like, TableInfo) else self.describe(like)
        drop_leftover_staging(self, output, max_length=64)
        staging = staging_name(output, max_length=64)
        self.execute(self.create_table_sql(staging, info, unique=False))
        try:
            with self.transaction():
                self.load(staging, info, batches)
        except BaseException as error:
            self.drop(staging)
            if isinstance(error, pymysql.err.IntegrityError) and info.primary_key:
                raise duplicate_key_error(output, info.primary_key) from error
            raise
        return staging

    def publish(self, renames: Sequence[tuple[TableName, TableName]]) -> None:
        """One RENAME TABLE statement swaps every staging table in: atomic in MySQL/MariaDB."""
        swaps, olds = [], []
        for staging, output in renames:
            if self._exists(output):
                old = TableName(output.database, output.schema,
                                f"{output.table}__lookalike_old_{uuid.uuid4().hex[:8]}"[:64])
                swaps.append(f"{self.sql_name(output)} TO {self.sql_name(old)}")
                olds.append(old)
            swaps.append(f"{self.sql_name(staging)} TO {self.sql_name(output)}")
        self.execute("RENAME TABLE " + ", ".join(swaps))
        self.execute("SET foreign_key_checks = 0")
        try:
            for old in olds:
                self.drop(old)
        finally:
            self.execute("SET foreign_key_checks = 1")

    def _exists(self, table: TableName) -> bool:
        return bool(self.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = "
                                 "%s AND table_name = %s", [table.schema, table.table]))

    def write_tables(self, writes: Sequence[TableWrite], *, replace: bool = False) -> None:
        """Staging tables (with their constraints, foreign keys between staging tables), filled
        parents first, then swapped in by one RENAME TABLE; on failure they are dropped."""
        ordered = order_writes(writes)
        staging = {w.output: TableName(w.output.database, w.output.schema,
                                       f"{w.output.table}{STAGING_MARKER}{uuid.uuid4().hex[:8]}"
                                       [:64]) for w in ordered}
        for write in ordered:
            if self._exists(write.output) and not replace:
                raise WriteError(f"{write.output} already exists in {self.url}; pass --replace "
                                 f"to overwrite it")
        try:
            for write in ordered:
                fks = [ForeignKey(fk.columns, staging.get(fk.parent, fk.parent),
                                  fk.parent_columns) for fk in write.foreign_keys]
                self.execute(self.create_table_sql(staging[write.output], write.info,
                                                   foreign_keys=fks))
                with self.transaction():
                    write.rows = self.load(staging[write.output], write.info, write.batches())
            for write in ordered:
                for fk in write.late_foreign_keys:
                    late = ForeignKey(fk.columns, staging.get(fk.parent, fk.parent),
                                      fk.parent_columns)
                    self.execute(f"ALTER TABLE {self.sql_name(staging[write.output])} ADD "
                                 + self.foreign_key_sql(late))
            self.publish([(staging[w.output], w.output) for w in ordered])
        except Exception as error:
            self.execute("SET foreign_key_checks = 0")
            for table in staging.values():
                self.drop(table)
            self.execute("SET foreign_key_checks = 1")
            raise WriteError(f"writing to {self.url} failed, nothing was written: "
                             f"{_first_line(error)}") from error


def _text(value: str | bytes | None) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


def _column(name: str, column_type: str, data_type: str, nullable: str, extra: str,
            length: int | None, precision: int | None, scale: int | None) -> Column:
    column_type, data_type = column_type.lower(), data_type.lower()
    common = {"name": name, "sql_type": column_type.replace(" auto_increment", ""),
                  "nullable": nullable == "YES", "identity": "auto_increment" in (extra or "").lower()}
    unsigned = "unsigned" in column_type
    if data_type == "tinyint" and column_type.startswith("tinyint(1)"):
        return Column(**common, arrow_type=pa.bool_())
    if data_type in INTEGERS:
        bits = INTEGERS[data_type]
        if unsigned:
            arrow = pa.uint64() if bits == 64 else {8: pa.int16(), 16: pa.int32(),
                                                    32: pa.int64()}[bits]
        else:
            arrow = {8: pa.int8(), 16: pa.int16(), 32: pa.int32(), 64: pa.int64()}[bits]
        return Column(**common, arrow_type=arrow)
    simple = {"float": pa.float32(), "double": pa.float64(), "date": pa.date32(),
              "time": pa.time64("us"), "datetime": pa.timestamp("us"),
              "timestamp": pa.timestamp("us", tz="UTC"), "year": pa.int16()}
    if data_type in simple:
        return Column(**common, arrow_type=simple[data_type])
    if data_type == "decimal":
        return Column(**common, arrow_type=decimal_or_float(precision, scale))
    if data_type in TEXTS:
        return Column(**common, arrow_type=pa.string(),
                      length=int(length) if data_type in ("char", "varchar") else None)
    if data_type == "enum":
        labels = tuple(v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", column_type))
        return Column(**common, arrow_type=pa.string(), enum_values=labels)
    return Column(**common, arrow_type=pa.null(), supported=False)


def _reader(kind: pa.DataType):
    if pa.types.is_boolean(kind):
        return lambda values: [None if v is None else bool(v) for v in values]
    if pa.types.is_time(kind):
        return lambda values: [None if v is None else (datetime.min + v).time()
                               if isinstance(v, timedelta) else v for v in values]
    if pa.types.is_timestamp(kind) and kind.tz:
        return lambda values: [None if v is None else v.replace(tzinfo=UTC)
                               for v in values]
    return lambda values: values


def _writer(kind: pa.DataType, values: list) -> list:
    if pa.types.is_timestamp(kind) and kind.tz:
        return [None if v is None else v.astimezone(UTC).replace(tzinfo=None)
                for v in values]
    if pa.types.is_time(kind):
        return [None if v is None else v.isoformat() if isinstance(v, time) else v
                for v in values]
    return values


def _type_from_arrow(column: Column) -> str:
    kind = column.arrow_type
    if column.enum_values:
        return "enum(" + ", ".join("'" + v.replace("'", "''") + "'"
                                   for v in column.enum_values) + ")"
    if column.uuid:
        return "char(36)"
    if pa.types.is_boolean(kind):
        return "tinyint(1)"
    if pa.types.is_integer(kind):
        width = kind.bit_width
        name = {8: "tinyint", 16: "smallint", 32: "int", 64: "bigint"}[width]
        return name if pa.types.is_signed_integer(kind) else f"{name} unsigned"
    if pa.types.is_float32(kind):
        return "float"
    if pa.types.is_floating(kind):
        return "double"
    if pa.types.is_decimal(kind):
        return f"decimal({min(kind.precision, 65)},{min(kind.scale, 30)})"
    if pa.types.is_date(kind):
        return "date"
    if pa.types.is_time(kind):
        return "time(6)"
    if pa.types.is_timestamp(kind):
        return "datetime(6)"
    if column.length:
        return f"varchar({column.length})"
    if pa.types.is_null(kind):
        return "json" if "json" in column.sql_type.lower() else "text"
    return "varchar(255)" if column.identity else "text"
