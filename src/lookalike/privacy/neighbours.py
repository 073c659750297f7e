"""Nearest neighbours of encoded rows (see `distance`), fast enough for 1M x 1M rows.

Two ways, measured on this 2-core machine (benchmarks/privacy.py, 20 mixed columns, 132
coordinates); scikit-learn's kd-tree and ball-tree were tried first and are slower than brute force
on one-hot coordinates (22 ms a query against 100k rows, so hours for 1M x 1M):

- "exact": brute force, blocked matrix products (BLAS), every distance computed. Exact; its time
  grows with reference rows x query rows, so it is the choice up to about 2e9 pairs.
- "ivf": faiss' inverted-file index (an optional dependency, `pip install 'lookalike[privacy]'`,
  MIT licence): reference rows are clustered by k-means, and a query scans the `nprobe` clusters
  nearest to it. Approximate: a neighbour in an unscanned cluster is missed, so a distance can come
  out too *large*, never too small. Recall is measured in the benchmark.

"auto" picks "exact" while the pairs are few, else "ivf" when faiss is installed, else "exact".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lookalike.errors import InvalidOptionError

EXACT_PAIRS = 2_000_000_000  # reference rows x query rows that "auto" still searches exactly
METHODS = ("auto", "exact", "ivf")
_BLOCK_PAIRS = 50_000_000  # pairs per distance block: bounds memory at about 200 MB
_ROWS_PER_CLUSTER = 256
_NPROBE = 24  # of about 4,000 lists at 1M rows: see the benchmark for recall
_TRAINING_PER_CLUSTER = 39  # faiss' own minimum for k-means
_KMEANS_ITERATIONS = 10
_REFINE_ROWS = 50_000


@dataclass
class Neighbours:
    """For each query row: distances to its k nearest reference rows, ascending, and their
    row numbers in the reference."""

    distances: np.ndarray  # float64, queries x k
    indices: np.ndarray  # int64, queries x k


def has_faiss() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def nearest(reference: np.ndarray, queries: np.ndarray, k: int = 2, *, method: str = "auto",
            exclude_self: bool = False, nprobe: int = _NPROBE) -> Neighbours:
    """The `k` nearest `reference` rows of every `queries` row (Euclidean).

    `exclude_self`: `queries` *is* `reference` and a row is not its own neighbour (leave-one-out
    distances). A duplicate of a row still counts, at distance 0. `nprobe`: clusters the "ivf"
    search scans per query (more: better recall, proportionally slower)."""
    if method not in METHODS:
        raise InvalidOptionError(f"method {method!r} is not one of {', '.join(METHODS)}")
    wanted = k + 1 if exclude_self else k
    if len(reference) < wanted:
        raise InvalidOptionError(
            f"{wanted} neighbours asked of {len(reference)} reference rows: need more rows")
    if method == "auto":
        small = len(reference) * len(queries) <= EXACT_PAIRS
        method = "exact" if small or not has_faiss() else "ivf"
    if method == "exact":
        squared, indices = _exact(_float32(reference), _float32(queries), wanted)
    else:
        squared, indices = _ivf(_float32(reference), _float32(queries), wanted, nprobe)
    if exclude_self:
        squared, indices = _drop_self(squared, indices)
    return Neighbours(np.sqrt(np.maximum(squared, 0.0)).astype(np.float64), indices)


def _float32(matrix: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(matrix, dtype=np.float32)


def _exact(reference: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute force in blocks of query rows: |q|^2 - 2 q.r + |r|^2 by one matrix product each,
    on centred points (float32 products far from the origin lose the small differences); a few
    spare candidates are kept and their distances recomputed in float64, so that an exact copy
    comes out at distance 0 and near-ties are ordered right."""
    center = reference.mean(axis=0, dtype=np.float64).astype(np.float32)
    reference, queries = reference - center, queries - center
    reference_norms = np.einsum("ij,ij->i", reference, reference)
    candidates = min(k + 2, len(reference))
    rows = max(1, _BLOCK_PAIRS // max(len(reference), 1))
    indices = np.empty((len(queries), candidates), dtype=np.int64)
    for start in range(0, len(queries), rows):
        block = queries[start:start + rows]
        block_norms = np.einsum("ij,ij->i", block, block)
        distances = block_norms[:, None] - 2.0 * (block @ reference.T) + reference_norms[None, :]
        indices[start:start + rows] = _smallest(distances, candidates)
    squared = _refine(reference, queries, indices)
    order = np.argsort(squared, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(squared, order, axis=1), np.take_along_axis(indices, order, axis=1)


def _smallest(distances: np.ndarray, count: int) -> np.ndarray:
    """Column numbers of the `count` smallest entries of each row, by repeated argmin: for the
    few neighbours wanted here it is several times faster than argpartition. Overwrites
    `distances`."""
    rows = np.arange(len(distances))
    chosen = np.empty((len(distances), count), dtype=np.int64)
    for j in range(count):
        chosen[:, j] = np.argmin(distances, axis=1)
        distances[rows, chosen[:, j]] = np.inf
    return chosen


def _refine(reference: np.ndarray, queries: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Squared distances to the chosen neighbours recomputed directly, in float64 (in blocks of
    rows, so that memory stays bounded)."""
    refined = np.empty(indices.shape)
    for start in range(0, len(queries), _REFINE_ROWS):
        block = queries[start:start + _REFINE_ROWS].astype(np.float64)[:, None, :]
        chosen = reference[indices[start:start + _REFINE_ROWS]].astype(np.float64)
        difference = block - chosen
        refined[start:start + _REFINE_ROWS] = np.einsum("ijk,ijk->ij", difference, difference)
    return refined


def _ivf(reference: np.ndarray, queries: np.ndarray, k: int, nprobe: int
         ) -> tuple[np.ndarray, np.ndarray]:
    import faiss

    clusters = int(np.clip(len(reference) // _ROWS_PER_CLUSTER, 1, 65_536))
    quantizer = faiss.IndexFlatL2(reference.shape[1])
    index = faiss.IndexIVFFlat(quantizer, reference.shape[1], clusters)
    rng = np.random.default_rng(0)
    training = rng.choice(len(reference), min(len(reference), _TRAINING_PER_CLUSTER * clusters),
                          replace=False)
    index.cp.niter = _KMEANS_ITERATIONS
    index.train(reference[np.sort(training)])
    index.add(reference)
    index.nprobe = min(nprobe, clusters)
    _, indices = index.search(queries, k)
    found = indices >= 0
    safe = np.where(found, indices, 0).astype(np.int64)
    squared = np.where(found, _refine(reference, queries, safe), np.inf)
    order = np.argsort(squared, axis=1, kind="stable")
    return np.take_along_axis(squared, order, axis=1), np.take_along_axis(safe, order, axis=1)


def _drop_self(squared: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own entry (or, when a duplicate hid it, the farthest one)."""
    is_self = indices == np.arange(len(indices))[:, None]
    first = is_self & (np.cumsum(is_self, axis=1) == 1)
    first[~first.any(axis=1), -1] = True
    keep = ~first
    k = indices.shape[1] - 1
    return squared[keep].reshape(-1, k), indices[keep].reshape(-1, k)
