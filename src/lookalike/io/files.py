"""CSV and Parquet files: read into Arrow, write atomically (a temporary file renamed into place,
so a failed or interrupted write never leaves a half-written output)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lookalike.errors import InvalidOptionError, ReadError

FORMATS = (".csv", ".parquet")


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".pq":
        suffix = ".parquet"
    if suffix not in FORMATS:
        raise InvalidOptionError(
            f"{path}: unknown file type {path.suffix or '(none)'!r}; use .csv or .parquet"
        )
    return suffix


def read_table(path: str | Path) -> pa.Table:
    """A CSV (types inferred: numbers, booleans, ISO dates and timestamps; empty fields are
    NULL) or Parquet file."""
    path = Path(path)
    kind = file_format(path)
    if not path.is_file():
        raise ReadError(f"{path}: no such file")
    try:
        if kind == ".parquet":
            return pq.read_table(path)
        # an empty field is NULL in string columns too, as write_table writes NULL
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    except (pa.ArrowInvalid, OSError) as error:
        raise ReadError(f"{path}: cannot read it as {kind[1:]}: {error}") from error


def write_table(batches: Iterable[pa.RecordBatch], schema: pa.Schema, path: str | Path) -> int:
    """Stream `batches` into `path` atomically; returns the number of rows written."""
    path = Path(path)
    kind = file_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                         dir=path.parent)
    os.close(handle)
    rows = 0
    try:
        writer = (pq.ParquetWriter(temporary, schema) if kind == ".parquet"
                  else pacsv.CSVWriter(temporary, schema))
        with writer:
            for batch in batches:
                writer.write_batch(batch)
                rows += batch.num_rows
        os.chmod(temporary, _new_file_mode())  # mkstemp makes the file private to its owner
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return rows


def _new_file_mode() -> int:
    """The permissions `open()` would give a new file: 0o666 less the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
