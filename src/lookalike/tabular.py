"""Tables in and out: pandas or Arrow in, the same kind of object out."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from lookalike.errors import InvalidDataError


def to_arrow(data: Any) -> pa.Table:
    """`data` (a pandas DataFrame, an Arrow table or record batch) as an Arrow table."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pd.DataFrame):
        return _from_pandas(data)
    raise InvalidDataError(
        f"expected a pandas DataFrame or a pyarrow Table, got {type(data).__name__}"
    )


def _from_pandas(frame: pd.DataFrame) -> pa.Table:
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise InvalidDataError(f"the table has duplicate column names: {duplicated}")
    for name in frame.columns:
        if not isinstance(name, str):
            raise InvalidDataError(f"column names must be strings; {name!r} is not")
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        for name in frame.columns:
            try:
                pa.Table.from_pandas(frame[[name]], preserve_index=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as column_error:
                raise InvalidDataError(
                    f"column {name!r} mixes values of different types ({column_error}); "
                    f"give it one type before synthesising"
                ) from column_error
        raise InvalidDataError(f"the table cannot be read: {error}") from error


def like_input(table: pa.Table, pandas_input: bool) -> pd.DataFrame | pa.Table:
    """`table` as a pandas DataFrame when the model was fitted on one (dtypes restored from the
    schema's pandas metadata), else as it is."""
    return table.to_pandas() if pandas_input else table
