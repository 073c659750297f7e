"""CSV and Parquet files: read into Arrow, write atomically (a temporary file renamed into place,
so a failed or interrupted write never leaves a half-written output)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lookalike.errors import InvalidDataError, InvalidOptionError, ReadError

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
    if path.is_dir():
        raise ReadError(f"{path}: is a folder, not a {kind[1:]} file")
    if not path.is_file():
        raise ReadError(f"{path}: no such file")
    try:
        if kind == ".parquet":
            table = pq.read_table(path)
        else:
            # an empty field is NULL in string columns too, as write_table writes NULL
            table = pacsv.read_csv(
                path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    except (pa.ArrowInvalid, OSError) as error:
        raise ReadError(f"{path}: cannot read it as {kind[1:]}: {error}") from error
    repeated = sorted({name for name in table.column_names
                       if table.column_names.count(name) > 1})
    if repeated:
        raise InvalidDataError(f"{path}: column {repeated[0]!r} appears more than once; "
                               f"every column needs its own name")
    return table


def refuse_overwrite(outputs: Mapping[str, str | Path | None],
                     inputs: Mapping[str, str | Path | None]) -> None:
    """A clear error, before anything is written, when an output file is one of the inputs or
    another output: lookalike never writes over what it reads. Keys are the options' names."""
    seen: dict[Path, str] = {Path(path).resolve(): label
                             for label, path in inputs.items() if path is not None}
    for label, path in outputs.items():
        if path is None:
            continue
        resolved = Path(path).resolve()
        if resolved in seen:
            raise InvalidOptionError(
                f"{label} {path} is also {seen[resolved]}: lookalike never writes over a file "
                f"it reads or writes in the same run; choose another path")
        seen[resolved] = label


def write_table(batches: Iterable[pa.RecordBatch], schema: pa.Schema, path: str | Path) -> int:
    """Stream `batches` into `path` atomically; returns the number of rows written."""
    path = Path(path)
    kind = file_format(path)
    if path.is_dir():
        raise InvalidOptionError(f"{path}: is a folder; give a file name ending in {kind}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                             dir=path.parent)
    except OSError as error:
        raise InvalidOptionError(f"{path}: cannot write there: {error.strerror}") from error
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
