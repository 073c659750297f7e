"""The generate step: batches of decoded rows, each batch its own random stream."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from lookalike.columns.categorical import CategoricalModel
from lookalike.columns.text import TextModel
from lookalike.engine.chain import Chain, Conditional
from lookalike.engine.generate import batch_sizes, generate


@pytest.mark.parametrize("rows, size, expected", [
    (0, 10, [0]), (1, 10, [1]), (10, 10, [10]), (25, 10, [10, 10, 5]),
])
def test_batch_sizes(rows, size, expected):
    assert batch_sizes(rows, size) == expected


def _setup():
    """One categorical column (colours at fixed rates) and one text column that is NULL when
    the colour is 'red'."""
    colour = Conditional(
        target=0, n_codes=5, feature=np.array([-1]), threshold=np.array([0.0]),
        left=np.array([-1]), right=np.array([-1]), leaf=np.array([0]),
        cumulative=np.array([[0.0, 0.0, 0.5, 0.8, 1.0]], dtype=np.float32),
    )
    present = Conditional(  # code 2 is 'red': then code 0 (NULL), else code 1 (present)
        target=1, n_codes=2,
        feature=np.array([0, 0, -1, -1, -1]), threshold=np.array([2.5, 1.5, 0, 0, 0]),
        left=np.array([1, 3, -1, -1, -1]), right=np.array([2, 4, -1, -1, -1]),
        leaf=np.array([-1, -1, 0, 1, 2]),
        cumulative=np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32),
    )
    models = [CategoricalModel(pa.array(["red", "green", "blue"]), 0), TextModel("uuid")]
    schema = pa.schema([("colour", pa.string()), ("id", pa.string())])
    return Chain([colour, present], 2, copula=np.eye(2)), models, schema


def test_generate_decodes_codes_into_batches_of_the_schema():
    chain, models, schema = _setup()
    batches = list(generate(chain, models, schema, 2_500, seed=1, batch_size=1_000))
    assert [batch.num_rows for batch in batches] == [1_000, 1_000, 500]
    table = pa.Table.from_batches(batches)
    assert table.schema == schema
    colours = table.column("colour").to_pylist()
    ids = table.column("id").to_pylist()
    assert all((i is None) == (c == "red") for c, i in zip(colours, ids, strict=True))
    assert colours.count("red") / len(colours) == pytest.approx(0.5, abs=0.04)


def test_generate_is_deterministic_for_a_seed():
    chain, models, schema = _setup()
    first = pa.Table.from_batches(list(generate(chain, models, schema, 300, seed=3,
                                                batch_size=100)))
    again = pa.Table.from_batches(list(generate(chain, models, schema, 300, seed=3,
                                                batch_size=100)))
    other = pa.Table.from_batches(list(generate(chain, models, schema, 300, seed=4,
                                                batch_size=100)))
    assert first.equals(again)
    assert not first.equals(other)


def test_batches_are_independent_partitions():
    """The first batches of a longer run are the batches of a shorter run."""
    chain, models, schema = _setup()
    short = list(generate(chain, models, schema, 200, seed=5, batch_size=100))
    long = list(generate(chain, models, schema, 500, seed=5, batch_size=100))
    # SeedSequence.spawn gives the same first children whatever their number
    assert all(a.equals(b) for a, b in zip(short, long[:2], strict=True))


def test_zero_rows_give_one_empty_batch_of_the_schema():
    chain, models, schema = _setup()
    batches = list(generate(chain, models, schema, 0, seed=1, batch_size=10))
    assert [batch.num_rows for batch in batches] == [0]
    assert batches[0].schema == schema
