"""Generate step: draw codes from the chain and decode them into Arrow record batches.

Each batch has its own random stream spawned from the run's seed, so batches are independent
partitions: they can be drawn in any order, on any worker, and give the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa

from lookalike.columns import ColumnModel
from lookalike.engine.chain import Chain


def batch_sizes(n_rows: int, batch_size: int) -> list[int]:
    """Sizes of the batches for `n_rows` rows; zero rows is one empty batch, so that even an
    empty output carries its columns' categories."""
    full, rest = divmod(n_rows, batch_size)
    return [batch_size] * full + ([rest] if rest or not full else [])


def generate(
    chain: Chain,
    models: Sequence[ColumnModel],
    schema: pa.Schema,
    n_rows: int,
    *,
    seed: int,
    batch_size: int,
    given: Callable[[int, int], tuple[np.ndarray, np.ndarray]] | None = None,
) -> Iterator[pa.RecordBatch]:
    """`n_rows` synthetic rows with `schema`, in batches of at most `batch_size` rows.

    `given(start, stop)` returns the codes of the chain's given columns for those rows (the
    parent rows a child table is drawn for) and the ranks of its given numbers; `models` and
    `schema` cover the drawn columns."""
    sizes = batch_sizes(n_rows, batch_size)
    streams = np.random.SeedSequence(seed).spawn(len(sizes))
    start = 0
    for size, stream in zip(sizes, streams, strict=True):
        rng = np.random.default_rng(stream)
        given_codes, given_uniforms = given(start, start + size) if given else (None, None)
        codes, positions = chain.sample(size, rng, given_codes, given_uniforms)
        start += size
        offset = chain.n_given
        arrays = [
            model.decode(codes[:, offset + j], field.type, rng, positions=positions[:, offset + j])
            for j, (model, field) in enumerate(zip(models, schema, strict=True))
        ]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)
