"""The one small protocol every database connector speaks, and what they share.

A connector is opened from a URL or wraps an open connection (left open), works as a context
manager, and offers:

- catalog: `tables`, `find_table`, `new_table_name`, `is_view`, `columns` (name, SQL type) and
  `describe` (a `TableInfo`: columns with types and NOT NULL, primary key, unique constraints,
  foreign keys);
- read: `read_batches` (Arrow record batches, streamed), `read_table`, `arrow_schema`;
- write: `write_table` (one table, atomically: `stage` then `publish`), and `write_tables`
  (several related tables with their constraints, all or nothing, parents first).

Types travel as a `Column`: the engine's own spelling (kept verbatim when source and target are
the same engine), the Arrow type values are read as, and a few portable facts (varchar length,
enum labels, uuid, identity) from which another engine's type is derived.
"""

from __future__ import annotations

import re
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa

from lookalike.errors import ConfigError, LookalikeError

STAGING_MARKER = "__lookalike_staging_"
BATCH_ROWS = 100_000


class WriteError(LookalikeError, OSError):
    """A table could not be written; the target is left as it was."""


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


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class Column:
    """One column: its engine's SQL type, the Arrow type it is read as, and portable facts."""

    name: str
    sql_type: str
    arrow_type: pa.DataType
    nullable: bool = True
    length: int | None = None  # varchar(n), char(n)
    enum_values: tuple[str, ...] = ()
    enum_name: str | None = None  # PostgreSQL: the enum type's name
    uuid: bool = False
    identity: bool = False  # identity, serial or auto_increment
    supported: bool = True  # False: lookalike cannot synthesise it, it is written as NULL


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    parent: TableName
    parent_columns: tuple[str, ...]
    name: str | None = None


@dataclass(frozen=True)
class TableInfo:
    """What the catalog says about one table."""

    name: TableName
    engine: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.arrow_type) for c in self.columns])

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def renamed(self, name: TableName) -> TableInfo:
        return replace(self, name=name)


@dataclass
class TableWrite:
    """One table for `write_tables`: where, typed like what, and its rows (a fresh stream per
    call, so that an engine may read them more than once)."""

    output: TableName
    info: TableInfo
    batches: Callable[[], Iterator[pa.RecordBatch]]
    foreign_keys: tuple[ForeignKey, ...] = ()  # already pointing at output names
    # self-references and keys that close a cycle: declared once every table is loaded
    late_foreign_keys: tuple[ForeignKey, ...] = ()
    rows: int = field(default=0)


class ClosesWhatItOpened:
    """A connector as a context manager: on exit it closes its connection, but only one it
    opened itself (`_owned`); a connection it was handed stays open."""

    connection: Any
    _owned: bool = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._owned:
            self.connection.close()


@runtime_checkable
class Connector(Protocol):
    """Tables of one database; see the module docstring."""

    engine: str

    def __enter__(self) -> Self: ...
    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None: ...
    def close(self) -> None: ...
    def tables(self, schema: str | None = None) -> list[TableName]: ...
    def find_table(self, name: str) -> TableName | None: ...
    def new_table_name(self, name: str) -> TableName | None: ...
    def is_view(self, table: TableName) -> bool: ...
    def columns(self, table: TableName) -> list[tuple[str, str]]: ...
    def describe(self, table: TableName) -> TableInfo: ...
    def arrow_schema(self, table: TableName) -> pa.Schema: ...
    def read_batches(self, table: TableName, batch_rows: int = BATCH_ROWS
                     ) -> Iterator[pa.RecordBatch]: ...
    def read_table(self, table: TableName) -> pa.Table: ...
    def row_count(self, table: TableName) -> int: ...
    def distinct_rows(self, table: TableName, enough: int) -> int: ...
    def write_table(self, batches: Iterable[pa.RecordBatch], output: TableName,
                    like: TableName) -> int: ...
    def stage(self, batches: Iterable[pa.RecordBatch], output: TableName,
              like: TableName) -> TableName: ...
    def publish(self, renames: Sequence[tuple[TableName, TableName]]) -> None: ...
    def drop(self, table: TableName) -> None: ...
    def write_tables(self, writes: Sequence[TableWrite], *, replace: bool = False) -> None: ...


# -- URLs and passwords -----------------------------------------------------------------------

def staging_name(output: TableName, max_length: int | None = None) -> TableName:
    """A fresh staging table's name next to `output`."""
    name = f"{output.table}{STAGING_MARKER}{uuid.uuid4().hex[:12]}"
    return TableName(output.database, output.schema, name[:max_length])


def drop_leftover_staging(db: Connector, output: TableName, max_length: int | None = None
                          ) -> None:
    """A run killed between staging and publishing (SIGKILL, power loss: no error handler runs)
    leaves its staging table behind; the next write of the same output drops it."""
    prefix = f"{output.table}{STAGING_MARKER}"
    if max_length is not None and len(prefix) + 12 > max_length:
        return  # the name was cut short: it cannot be told from another table's
    for table in db.tables(output.schema):
        if table.table.startswith(prefix) and len(table.table) == len(prefix) + 12:
            db.drop(table)


def url_problem(text: str) -> str | None:
    """Why `text` cannot be taken apart as a URL (a malformed host, a port out of range), or
    None when it can."""
    try:
        urlsplit(text).port  # noqa: B018 - a bad port raises only when read
    except ValueError as error:
        return str(error)
    return None


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***: the only form of a URL any message shows."""
    text = str(url)
    if "://" not in text:
        return text
    if url_problem(text):  # not a URL that can be taken apart: hide everything before the host
        return re.sub(r"://[^@/]*@", "://***@", text)
    parts = urlsplit(text)
    if parts.password is None:
        return text
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def scrub(message: str, secret: str | None) -> str:
    """A driver's message with the password removed, in case the driver echoes it."""
    return message.replace(secret, "***") if secret else message


def scheme(url: str) -> str:
    """`postgresql`, `mysql`, `sqlite`, `duckdb`, or '' for a plain path."""
    match = re.match(r"^([a-zA-Z][a-zA-Z0-9]*)(\+[a-zA-Z0-9_]+)?://", str(url))
    return match.group(1).lower() if match else ""


# -- shared pieces of connectors ------------------------------------------------------------

def unsupported_warning(table: TableName | str, column: Column) -> None:
    warnings.warn(f"{table}: column {column.name} has type {column.sql_type}, which lookalike "
                  f"cannot synthesise; it is written as NULL in every row", UserWarning,
                  stacklevel=3)


def duplicate_key_error(output: TableName, primary_key: Sequence[str]) -> WriteError:
    """What to do when synthetic values break a primary key: make them join keys."""
    return WriteError(
        f"{output}: the synthetic values of its primary key ({', '.join(primary_key)}) are not "
        f"unique; declare {' and '.join(primary_key)} \"join_key\": true so that they get "
        f"unique pseudonyms")


def conform(batch: pa.RecordBatch | pa.Table, schema: pa.Schema) -> pa.Table:
    """`batch` with the columns of `schema`, in its order and types (dictionaries decoded,
    unsupported columns as NULL)."""
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    arrays = []
    for target in schema:
        if target.name not in table.column_names or pa.types.is_null(target.type):
            arrays.append(pa.nulls(table.num_rows, target.type))
            continue
        column = table.column(target.name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        arrays.append(column.cast(target.type) if column.type != target.type else column)
    return pa.Table.from_arrays(arrays, schema=schema)


def rebatch(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Batches of at most `rows` rows."""
    for batch in batches:
        for start in range(0, batch.num_rows, rows):
            yield batch.slice(start, rows)


def order_writes(writes: Sequence[TableWrite]) -> list[TableWrite]:
    """Parents before children (self-references and cycles are left to the caller's FKs)."""
    ordered: list[TableWrite] = []
    remaining = list(writes)
    while remaining:
        done = {w.output for w in ordered}
        ready = [w for w in remaining
                 if all(fk.parent in done or fk.parent == w.output for fk in w.foreign_keys
                        if fk.parent in {r.output for r in remaining})]
        if not ready:
            raise ConfigError("the foreign keys form a cycle between "
                              + ", ".join(str(w.output) for w in remaining))
        ordered.extend(ready)
        remaining = [w for w in remaining if w not in ready]
    return ordered


def decimal_or_float(precision: int | None, scale: int | None) -> pa.DataType:
    """numeric(p,s) as decimal128; numeric without a precision (any scale) as float64."""
    if precision and 0 < precision <= 38:
        return pa.decimal128(precision, scale or 0)
    return pa.float64()
