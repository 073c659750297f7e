"""What the SQL connectors (PostgreSQL, MySQL/MariaDB, SQLite) share: name resolution, the
context manager, atomic writes through a staging table, and `write_tables` for transactional
engines. Each engine supplies its catalog queries, its types and its bulk load."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa

from lookalike.errors import ReadError
from lookalike.io.base import (
    BATCH_ROWS,
    ClosesWhatItOpened,
    Column,
    ForeignKey,
    TableInfo,
    TableName,
    TableWrite,
    WriteError,
    drop_leftover_staging,
    order_writes,
    staging_name,
)
from lookalike.io.names import Identifier, split_name


class SQLConnector(ClosesWhatItOpened):
    """Shared behaviour; subclasses set `engine` and implement the engine hooks below."""

    engine = ""
    url = ""  # masked: safe to print


    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    # -- engine hooks ---------------------------------------------------------------------------

    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def sql_name(self, table: TableName) -> str:
        return f"{self.quote(table.schema)}.{self.quote(table.table)}"

    def current(self) -> tuple[str, str]:
        """(database, schema) that unqualified names resolve in."""
        raise NotImplementedError

    def schemas(self) -> list[str]:
        raise NotImplementedError

    def tables(self, schema: str | None = None) -> list[TableName]:
        raise NotImplementedError

    def is_view(self, table: TableName) -> bool:
        raise NotImplementedError

    def describe(self, table: TableName) -> TableInfo:
        raise NotImplementedError

    def read_batches(self, table: TableName, batch_rows: int = BATCH_ROWS
                     ) -> Iterator[pa.RecordBatch]:
        raise NotImplementedError

    def column_type(self, column: Column, source_engine: str) -> str:
        raise NotImplementedError

    def load(self, table: TableName, info: TableInfo, batches: Iterable[pa.RecordBatch]) -> int:
        raise NotImplementedError

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple]:
        raise NotImplementedError

    def transaction(self):  # a context manager: commit on success, roll back on error
        raise NotImplementedError

    def inline_foreign_keys(self) -> bool:
        """True when foreign keys must be declared in CREATE TABLE (no ALTER ... ADD)."""
        return False

    def after_load(self, writes: Sequence[TableWrite]) -> None:
        """Set identity sequences past the largest written value, and the like."""

    # -- catalog --------------------------------------------------------------------------------

    def find_table(self, name: str) -> TableName | None:
        """The existing table or view `name` refers to, or None."""
        parts = self._qualified(split_name(name))
        for table in self.tables():
            if all(p.matches(n) for p, n in zip(parts, (table.database, table.schema,
                                                         table.table), strict=True)):
                return table
        return None

    def new_table_name(self, name: str) -> TableName | None:
        database, schema, table = self._qualified(split_name(name))
        current_database = self.current()[0]
        if not database.matches(current_database):
            return None
        for existing in self.schemas():
            if schema.matches(existing):
                return TableName(current_database, existing, table.text)
        return None

    def _qualified(self, parts: list[Identifier]) -> list[Identifier]:
        if len(parts) == 3:
            return parts
        database, schema = self.current()
        defaults = [Identifier(database, True), Identifier(schema, True)]
        return defaults[: 3 - len(parts)] + parts

    def columns(self, table: TableName) -> list[tuple[str, str]]:
        return [(c.name, c.sql_type) for c in self.describe(table).columns]

    def arrow_schema(self, table: TableName) -> pa.Schema:
        return self.describe(table).arrow_schema

    def read_table(self, table: TableName) -> pa.Table:
        schema = self.arrow_schema(table)
        return pa.Table.from_batches(list(self.read_batches(table)), schema=schema)

    def row_count(self, table: TableName) -> int:
        return int(self.execute(f"SELECT count(*) FROM {self.sql_name(table)}")[0][0])

    def distinct_rows(self, table: TableName, enough: int) -> int:
        """Distinct rows of `table`, counted up to `enough` (over comparable columns)."""
        columns = [c for c in self.describe(table).columns if c.supported]
        listed = ", ".join(self.quote(c.name) for c in columns) or "1"
        return int(self.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT {listed} FROM {self.sql_name(table)} "
            f"LIMIT {int(enough)}) AS d")[0][0])

    # -- DDL ------------------------------------------------------------------------------------

    def create_table_sql(self, name: TableName, info: TableInfo, *, unique: bool = True,
                         foreign_keys: Sequence[ForeignKey] = ()) -> str:
        parts = []
        for column in info.columns:
            definition = f"{self.quote(column.name)} {self.column_type(column, info.engine)}"
            if not column.nullable and column.supported:
                definition += " NOT NULL"
            parts.append(definition)
        if info.primary_key:
            parts.append(f"PRIMARY KEY ({self._list(info.primary_key)})")
        if unique:
            parts.extend(f"UNIQUE ({self._list(columns)})" for columns in info.unique)
        parts.extend(self.foreign_key_sql(fk) for fk in foreign_keys)
        return f"CREATE TABLE {self.sql_name(name)} (\n  " + ",\n  ".join(parts) + "\n)"

    def foreign_key_sql(self, fk: ForeignKey) -> str:
        return (f"FOREIGN KEY ({self._list(fk.columns)}) REFERENCES "
                f"{self.sql_name(fk.parent)} ({self._list(fk.parent_columns)})")

    def _list(self, columns: Sequence[str]) -> str:
        return ", ".join(self.quote(c) for c in columns)

    def prepare_types(self, info: TableInfo, schema: str) -> None:
        """Create what the table's column types need (PostgreSQL enums)."""

    # -- write ----------------------------------------------------------------------------------

    def write_table(self, batches: Iterable[pa.RecordBatch], output: TableName,
                    like: TableName) -> int:
        """Write `batches` as `output`, typed like `like`, replacing `output` atomically."""
        staging = self.stage(batches, output, like)
        try:
            self.publish([(staging, output)])
        except BaseException:
            self.drop(staging)
            raise
        return self.row_count(output)

    def stage(self, batches: Iterable[pa.RecordBatch], output: TableName,
              like: TableName | TableInfo) -> TableName:
        """A new staging table next to `output` with the column types, NOT NULL and primary key
        of `like`, holding `batches`; dropped again if anything fails."""
        info = like if isinstance(like, TableInfo) else self.describe(like)
        drop_leftover_staging(self, output)
        staging = staging_name(output)
        try:
            with self.transaction():
                self.prepare_types(info, output.schema)
                self.execute(self.create_table_sql(staging, info, unique=False))
                self.load(staging, info, batches)
        except BaseException as error:
            self.drop(staging)
            self._explain(error, info, output)
            raise
        return staging

    def publish(self, renames: Sequence[tuple[TableName, TableName]]) -> None:
        """In one transaction, replace each output by its staging table: all or nothing."""
        with self.transaction():
            for staging, output in renames:
                self.execute(f"DROP TABLE IF EXISTS {self.sql_name(output)}")
                self.execute(f"ALTER TABLE {self.sql_name(staging)} RENAME TO "
                             f"{self.quote(output.table)}")

    def drop(self, table: TableName) -> None:
        self.execute(f"DROP TABLE IF EXISTS {self.sql_name(table)}")

    def write_tables(self, writes: Sequence[TableWrite], *, replace: bool = False) -> None:
        """Create and fill every table of `writes`, parents first, with primary keys, unique
        constraints and foreign keys, in one transaction: all tables or none."""
        ordered = order_writes(writes)
        try:
            with self.transaction():
                for write in ordered:
                    self._create_for_write(write, ordered, replace)
                if not self.inline_foreign_keys():
                    for write in ordered:
                        for fk in write.foreign_keys + write.late_foreign_keys:
                            self.execute(f"ALTER TABLE {self.sql_name(write.output)} ADD "
                                         + self.foreign_key_sql(fk))
                self.after_load(ordered)
        except WriteError:
            raise
        except Exception as error:
            raise WriteError(f"writing to {self.url} failed, nothing was written: "
                             f"{_first_line(error)}") from error

    def _create_for_write(self, write: TableWrite, ordered: Sequence[TableWrite],
                          replace: bool) -> None:
        existing = self.find_table(".".join(self.quote(p) for p in (
            write.output.database, write.output.schema, write.output.table)))
        if existing is not None:
            if not replace:
                raise WriteError(f"{existing} already exists in {self.url}; pass --replace to "
                                 f"overwrite it")
            self.drop_for_replace(existing)
        self.prepare_types(write.info, write.output.schema)
        inline = list(write.foreign_keys + write.late_foreign_keys) \
            if self.inline_foreign_keys() else []
        self.execute(self.create_table_sql(write.output, write.info, foreign_keys=inline))
        write.rows = self.load(write.output, write.info, write.batches())

    def drop_for_replace(self, table: TableName) -> None:
        self.execute(f"DROP TABLE {self.sql_name(table)}")

    def _explain(self, error: BaseException, info: TableInfo, output: TableName) -> None:
        """Hook: engines turn a primary-key violation into advice."""


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def missing_table(table: TableName) -> ReadError:
    return ReadError(f"no table {table}")
