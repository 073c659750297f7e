"""Composite keys as one surrogate join key: numbering, matching tuples, resolving them back."""

from __future__ import annotations

import pyarrow as pa

from lookalike.multitable.composite import (
    child_surrogate,
    parent_surrogate,
    resolve,
    row_index,
    without_surrogates,
)

ITEMS = pa.table({"order_id": pa.array([7, 7, 8, None], pa.int64()),
                  "line": pa.array([1, 2, 1, 1], pa.int16())})


def test_child_tuples_find_their_parent_row_nulls_and_strangers_find_none() -> None:
    shipments = pa.table({"order_id": pa.array([8, 7, 7, None, 9], pa.int32()),
                          "line": pa.array([1, 2, 2, 1, 1], pa.int32())})
    assert row_index(shipments, ["order_id", "line"], ITEMS, ["order_id", "line"]
                     ).to_pylist() == [2, 1, 1, None, None]
    assert parent_surrogate(ITEMS, ["order_id", "line"]).to_pylist() == [1, 2, 3, None]
    assert child_surrogate(shipments, ["order_id", "line"], ITEMS, ["order_id", "line"]
                           ).to_pylist() == [3, 2, 2, None, None]


def test_resolve_gives_each_child_the_key_of_the_parent_row_its_surrogate_names() -> None:
    parent = ITEMS.append_column("__lookalike_surrogate__parent", pa.array([501, 502, 503, 504]))
    child = pa.table({"__lookalike_surrogate__child": [503, 501, 999], "weight": [1.0, 2.0, 3.0]})
    resolved = resolve(child, "__lookalike_surrogate__child", ["oid", "ln"], parent,
                       "__lookalike_surrogate__parent", ["order_id", "line"])
    assert without_surrogates(resolved).to_pydict() == {
        "weight": [1.0, 2.0, 3.0], "oid": [8, 7, None], "ln": [1, 1, None]}
