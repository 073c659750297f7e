"""A folder of CSV and Parquet files as a database: each file is a table named by its stem.

Files carry no keys or constraints, so `describe` lists none and `write_tables` writes none.
Writes go to hidden temporary files that are renamed into place once every table is written, so
a failure leaves no partial file (a crash between two renames may leave some tables replaced:
renames are atomic per file, not across files).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lookalike.errors import ConfigError, ReadError
from lookalike.io import files
from lookalike.io.base import (
    BATCH_ROWS,
    ClosesWhatItOpened,
    Column,
    TableInfo,
    TableName,
    TableWrite,
    WriteError,
    conform,
    rebatch,
)
from lookalike.io.names import split_name

ENGINE = "files"
SCHEMA = "main"


class FolderConnector(ClosesWhatItOpened):
    """Tables of one folder (created on the first write if missing)."""

    engine = ENGINE

    def __init__(self, folder: str | Path) -> None:
        text = str(folder)
        self.folder = Path(text.removeprefix("file://"))
        if self.folder.exists() and not self.folder.is_dir():
            raise ConfigError(f"{self.folder} is a file, not a folder of tables")
        self.url = str(self.folder)
        self.database = self.folder.resolve().name or "files"

    def close(self) -> None:
        """Nothing to close: files are opened per read and write."""

    def identity(self) -> tuple[str, int, str]:
        return ("folder", 0, str(self.folder.resolve()))

    def current(self) -> tuple[str, str]:
        """(database, schema): the folder's name, and the one schema a folder has."""
        return self.database, SCHEMA

    # -- catalog --------------------------------------------------------------------------------

    def _path(self, table: TableName) -> Path:
        for suffix in (".parquet", ".pq", ".csv"):
            path = self.folder / f"{table.table}{suffix}"
            if path.is_file():
                return path
        raise ReadError(f"no file for table {table.table} in {self.folder}")

    def tables(self, schema: str | None = None) -> list[TableName]:
        if not self.folder.is_dir():
            return []
        names = sorted({p.stem for p in self.folder.iterdir() if p.is_file()
                        and not p.name.startswith(".")
                        and p.suffix.lower() in (".csv", ".parquet", ".pq")})
        return [TableName(self.database, SCHEMA, name) for name in names]

    def find_table(self, name: str) -> TableName | None:
        wanted = split_name(name)[-1]
        return next((t for t in self.tables() if wanted.matches(t.table)), None)

    def new_table_name(self, name: str) -> TableName | None:
        return TableName(self.database, SCHEMA, split_name(name)[-1].text)

    def is_view(self, table: TableName) -> bool:
        return False

    def arrow_schema(self, table: TableName) -> pa.Schema:
        path = self._path(table)
        if path.suffix.lower() == ".csv":
            return files.read_table(path).schema
        return pq.read_schema(path)

    def describe(self, table: TableName) -> TableInfo:
        columns = tuple(Column(f.name, str(f.type), f.type) for f in self.arrow_schema(table))
        return TableInfo(table, ENGINE, columns)

    def columns(self, table: TableName) -> list[tuple[str, str]]:
        return [(f.name, str(f.type)) for f in self.arrow_schema(table)]

    # -- read -----------------------------------------------------------------------------------

    def read_batches(self, table: TableName, batch_rows: int = BATCH_ROWS
                     ) -> Iterator[pa.RecordBatch]:
        path = self._path(table)
        if path.suffix.lower() == ".csv":
            yield from files.read_table(path).to_batches(max_chunksize=batch_rows)
        else:
            yield from pq.ParquetFile(path).iter_batches(batch_size=batch_rows)

    def read_table(self, table: TableName) -> pa.Table:
        return files.read_table(self._path(table))

    def row_count(self, table: TableName) -> int:
        path = self._path(table)
        if path.suffix.lower() == ".csv":
            return files.read_table(path).num_rows
        return pq.ParquetFile(path).metadata.num_rows

    def distinct_rows(self, table: TableName, enough: int) -> int:
        data = self.read_table(table)
        supported = [f.name for f in data.schema if not pa.types.is_null(f.type)]
        return min(data.select(supported).group_by(supported).aggregate([]).num_rows, enough)

    # -- write ----------------------------------------------------------------------------------

    def _target(self, output: TableName) -> Path:
        try:
            return self._path(output)
        except ReadError:
            return self.folder / f"{output.table}.parquet"

    def stage(self, batches: Iterable[pa.RecordBatch], output: TableName,
              like: TableName | TableInfo) -> TableName:
        schema = like.arrow_schema if isinstance(like, TableInfo) else self.arrow_schema(like)
        target = self._target(output)
        staging = TableName(self.database, SCHEMA, f".{output.table}.{uuid.uuid4().hex[:12]}")
        files.write_table((conform(b, schema).to_batches()[0] for b in rebatch(
            batches, BATCH_ROWS) if b.num_rows), schema, self.folder / (staging.table
                                                                        + target.suffix))
        return staging

    def publish(self, renames: Sequence[tuple[TableName, TableName]]) -> None:
        for staging, output in renames:
            target = self._target(output)
            os.replace(self.folder / (staging.table + target.suffix), target)

    def drop(self, table: TableName) -> None:
        for suffix in (".parquet", ".pq", ".csv"):
            (self.folder / f"{table.table}{suffix}").unlink(missing_ok=True)

    def write_table(self, batches: Iterable[pa.RecordBatch], output: TableName,
                    like: TableName) -> int:
        staging = self.stage(batches, output, like)
        self.publish([(staging, output)])
        return self.row_count(output)

    def write_tables(self, writes: Sequence[TableWrite], *, replace: bool = False) -> None:
        """Every table as a Parquet file (or the format of the file it replaces)."""
        existing = {t.table for t in self.tables()}
        clashes = [w.output.table for w in writes if w.output.table in existing]
        if clashes and not replace:
            raise WriteError(f"{', '.join(clashes)} already exist in {self.folder}; pass "
                             f"--replace to overwrite them")
        staged: list[tuple[TableName, TableName]] = []
        try:
            for write in writes:
                batches = list(write.batches())
                write.rows = sum(b.num_rows for b in batches)
                staged.append((self.stage(batches, write.output, write.info), write.output))
        except BaseException:
            for staging, output in staged:
                (self.folder / (staging.table + self._target(output).suffix)).unlink(
                    missing_ok=True)
            raise
        self.publish(staged)
