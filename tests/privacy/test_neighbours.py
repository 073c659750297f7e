"""Nearest neighbours: exact search against scikit-learn's, self-exclusion, the faiss index."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from lookalike.privacy.neighbours import has_faiss, nearest


def test_exact_matches_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    reference, queries = rng.normal(size=(500, 7)), rng.normal(size=(300, 7))
    expected, _ = NearestNeighbors(n_neighbors=2).fit(reference).kneighbors(queries)
    found = nearest(reference, queries, 2, method="exact")
    assert np.allclose(found.distances, expected, atol=1e-5)


def test_copies_come_out_at_distance_zero() -> None:
    rng = np.random.default_rng(1)
    reference = rng.normal(1e3, 1, size=(200, 5))
    found = nearest(reference, reference[:50], 1)
    assert np.all(found.distances[:, 0] == 0.0)
    assert np.array_equal(found.indices[:, 0], np.arange(50))


def test_exclude_self_gives_leave_one_out_distances() -> None:
    points = np.array([[0.0], [1.0], [3.0], [3.0]])
    found = nearest(points, points, 1, exclude_self=True)
    assert found.distances[:, 0].tolist() == [1.0, 1.0, 0.0, 0.0]  # a duplicate still counts


@pytest.mark.skipif(not has_faiss(), reason="faiss-cpu not installed (extra: privacy)")
def test_ivf_finds_close_neighbours() -> None:
    rng = np.random.default_rng(2)
    reference = rng.normal(size=(20_000, 10)).astype(np.float32)
    queries = reference[:500] + rng.normal(scale=0.01, size=(500, 10)).astype(np.float32)
    approximate = nearest(reference, queries, 2, method="ivf")
    exact = nearest(reference, queries, 2, method="exact")
    assert np.mean(np.isclose(approximate.distances[:, 0], exact.distances[:, 0])) > 0.99
    assert np.all(approximate.distances >= exact.distances - 1e-5)  # never too small


def test_too_few_reference_rows_is_an_error() -> None:
    from lookalike.errors import InvalidOptionError

    with pytest.raises(InvalidOptionError, match="2 neighbours asked of 1 reference rows"):
        nearest(np.zeros((1, 2)), np.zeros((3, 2)), 2)
