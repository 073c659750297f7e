"""How copy fits synthetic rows to a composite key: renumbering instead of dropping."""

from __future__ import annotations

import pyarrow as pa

from lookalike.copy.plan import _renumber


def test_repeated_lines_of_an_order_take_the_next_free_line_number() -> None:
    items = pa.table({"order_id": [5, 5, 5, 7, 7, 9, 9],
                      "line": pa.array([1, 1, 2, 3, 3, 32767, 32767], pa.int16())})
    renumbered = _renumber(items, ["order_id", "line"], "line")
    assert renumbered.column("line").to_pylist() == [1, 2, 3, 3, 4, 32767, 32767]
    assert renumbered.schema == items.schema  # past int16: left for the duplicate check
