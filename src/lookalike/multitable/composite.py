"""Composite foreign keys, (order_id, line) → order_items, modelled as one join key.

The MultiTableSynthesizer relates tables through single join-key columns. A key over several
columns is given one: a *surrogate* join key. The parent's rows are numbered (`parent_surrogate`),
and each child row holds the number of the parent row its tuple points at (`child_surrogate`).
The surrogates are learned and sampled like any join key; after sampling, `resolve` gives each
synthetic child row the key columns of the synthetic parent row its surrogate names, so that
every child tuple exists in the parent. The surrogates never reach the target database.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SURROGATE = "__lookalike_surrogate__"
_ROW = "__lookalike_row__"


def surrogate_name(role: str, columns: Sequence[str]) -> str:
    """The surrogate column of `columns` in a table that is their `role` ("parent", "child")."""
    return f"{SURROGATE}{role}__" + "__".join(columns)


def parent_surrogate(parent: pa.Table, columns: Sequence[str]) -> pa.Array:
    """1 … n for the parent's rows; NULL where a key column is NULL (no child can point there)."""
    numbers = pa.array(np.arange(1, parent.num_rows + 1, dtype=np.int64))
    return pc.if_else(any_null(parent, columns), pa.scalar(None, pa.int64()), numbers)


def child_surrogate(child: pa.Table, columns: Sequence[str], parent: pa.Table,
                    parent_columns: Sequence[str]) -> pa.Array:
    """For each child row, the number of the parent row holding its tuple (NULL if none)."""
    return pc.add(row_index(child, columns, parent, parent_columns), 1)


def row_index(child: pa.Table, columns: Sequence[str], parent: pa.Table,
              parent_columns: Sequence[str]) -> pa.Array:
    """For each child row, the index of the first parent row holding the same tuple; NULL when
    one of its columns is NULL or no parent row holds it. Child values are compared as the
    parent's types."""
    names = [f"k{i}" for i in range(len(columns))]
    keys = parent.select(list(parent_columns)).rename_columns(names)
    keys = keys.append_column(_ROW, pa.array(np.arange(parent.num_rows, dtype=np.int64)))
    keys = keys.group_by(names, use_threads=False).aggregate([(_ROW, "min")])
    rows = child.select(list(columns)).rename_columns(names).cast(keys.select(names).schema)
    rows = rows.append_column("__child_row__", pa.array(np.arange(child.num_rows)))
    joined = rows.join(keys, keys=names, join_type="left outer", use_threads=False)
    return joined.sort_by("__child_row__").column(f"{_ROW}_min").combine_chunks()


def any_null(table: pa.Table, columns: Sequence[str]) -> pa.Array:
    """True where at least one of `columns` is NULL."""
    flags = pa.array(np.zeros(table.num_rows, dtype=bool))
    for column in columns:
        flags = pc.or_(flags, pc.is_null(table.column(column)))
    return flags.combine_chunks() if isinstance(flags, pa.ChunkedArray) else flags


def resolve(child: pa.Table, child_key: str, columns: Sequence[str], parent: pa.Table,
            parent_key: str, parent_columns: Sequence[str]) -> pa.Table:
    """`child` with `columns` set to the `parent_columns` of the parent row whose surrogate
    `parent_key` equals the child's `child_key` (NULL where no parent row has it)."""
    index = pc.index_in(child.column(child_key),
                        value_set=parent.column(parent_key).combine_chunks())
    for column, parent_column in zip(columns, parent_columns, strict=True):
        values = parent.column(parent_column).take(index)
        child = set_column(child, column, values)
    return child


def set_column(table: pa.Table, column: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    if column in table.column_names:
        return table.set_column(table.column_names.index(column), column, values)
    return table.append_column(column, values)


def without_surrogates(table: pa.Table) -> pa.Table:
    return table.drop_columns([c for c in table.column_names if c.startswith(SURROGATE)])
