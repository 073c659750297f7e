"""Generate step: draw codes from the chain and decode them into Arrow record batches.

Each batch has its own random stream spawned from the run's seed, so batches are independent
partitions: they can be drawn in any order, on any worker, and give the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

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
) -> Iterator[pa.RecordBatch]:
    """`n_rows` synthetic rows with `schema`, in batches of at most `batch_size` rows."""
    sizes = batch_sizes(n_rows, batch_size)
    streams = np.random.SeedSequence(seed).spawn(len(sizes))
    for size, stream in zip(sizes, streams, strict=True):
        rng = np.random.default_rng(stream)
        codes, positions = chain.sample(size, rng)
        arrays = [
            model.decode(codes[:, j], field.type, rng, positions=positions[:, j])
            for j, (model, field) in enumerate(zip(models, schema, strict=True))
        ]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)
