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


def test_a_drawn_self_reference_is_a_forest() -> None:
    import numpy as np

    from lookalike.copy.plan import _earlier_rows

    parents = _earlier_rows(2_000, np.random.default_rng(0))
    assert (parents < 0).sum() == 1  # one root
    depth = np.zeros(len(parents), dtype=int)
    for row in range(len(parents)):  # every chain of parents ends at the root
        node, steps = row, 0
        while parents[node] >= 0:
            node, steps = parents[node], steps + 1
            assert steps < len(parents)
        depth[row] = steps
    assert 3 < depth.mean() < 15  # a bushy tree (about ln n deep), not a chain


def test_a_drawn_self_reference_stays_within_its_group() -> None:
    import numpy as np

    from lookalike.copy.plan import _earlier_rows

    groups = np.repeat([7, 3, 9], [5, 1, 300])
    parents = _earlier_rows(len(groups), np.random.default_rng(1), groups)
    assert (parents < 0).sum() == 3  # one root per group
    linked = parents >= 0
    assert (groups[parents[linked]] == groups[linked]).all()
