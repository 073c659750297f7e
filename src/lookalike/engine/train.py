"""Train step: fit the chain of conditional trees on the encoded table (rows × column codes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import ndtri
from sklearn.tree import DecisionTreeClassifier

from lookalike.engine.chain import Chain, Conditional


def column_order(n_codes: Sequence[int]) -> list[int]:
    """Columns with few codes first, so that the many-valued ones are drawn given the rest.

    Categories and flags then condition the amounts and dates, which is the direction most
    dependencies in business tables run (type of incident → size of claim)."""
    return sorted(range(len(n_codes)), key=lambda j: (n_codes[j], j))


def train(
    codes: np.ndarray,
    n_codes: Sequence[int],
    *,
    min_leaf: int,
    smoothing: float,
    rng: np.random.Generator,
    order: Sequence[int] | None = None,
    ordinal: Sequence[bool] | None = None,
    on_column: Callable[[int], None] | None = None,
) -> Chain:
    """Fit P(column | earlier columns) for every column of `codes`, in `order`."""
    order = list(column_order(n_codes) if order is None else order)
    conditionals = []
    for position, target in enumerate(order):
        conditionals.append(fit_conditional(
            codes, target, order[:position], n_codes[target],
            min_leaf=min_leaf, smoothing=smoothing, seed=int(rng.integers(2**31)),
        ))
        if on_column:
            on_column(target)
    ordinal = [True] * codes.shape[1] if ordinal is None else list(ordinal)
    linked = [ordinal[c.target] for c in conditionals]
    return Chain(conditionals, codes.shape[1], fit_copula(conditionals, codes, linked, rng))


COPULA_SHRINKAGE = 0.05  # towards independence: keeps the matrix well-conditioned


def fit_copula(conditionals: list[Conditional], codes: np.ndarray, linked: Sequence[bool],
               rng: np.random.Generator) -> np.ndarray:
    """Cholesky factor of the correlation between the columns' residual normal scores.

    Only `linked` columns (binned numbers, whose codes are ordered and coarse) are correlated:
    the trees already model categories and few-valued columns value by value, and linking those
    too would make synthetic rows hug the training rows' exact combinations."""
    uniforms = np.column_stack([c.transform(codes, rng) for c in conditionals])
    scores = ndtri(np.clip(uniforms, 1e-6, 1 - 1e-6))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.nan_to_num(np.corrcoef(scores, rowvar=False), nan=0.0)
    correlation = np.atleast_2d(correlation)
    link = np.asarray(linked, dtype=bool)
    correlation = np.where(np.outer(link, link), correlation, 0.0)
    np.fill_diagonal(correlation, 1.0)
    shrunk = (1 - COPULA_SHRINKAGE) * correlation + COPULA_SHRINKAGE * np.eye(len(correlation))
    return np.linalg.cholesky(shrunk)


def fit_conditional(
    codes: np.ndarray,
    target: int,
    features: list[int],
    n_codes: int,
    *,
    min_leaf: int,
    smoothing: float,
    seed: int,
) -> Conditional:
    """A tree predicting column `target` from `features`, with smoothed leaf distributions."""
    y = codes[:, target]
    prior = np.bincount(y, minlength=n_codes).astype(np.float64)
    prior /= prior.sum()
    if features and len(np.unique(y)) > 1:
        tree = DecisionTreeClassifier(min_samples_leaf=min_leaf, random_state=seed)
        tree.fit(codes[:, features].astype(np.float32), y)
        structure = tree.tree_
        feature = np.where(structure.children_left >= 0,
                           np.asarray(features)[np.maximum(structure.feature, 0)], -1)
        threshold = structure.threshold.astype(np.float64)
        left = structure.children_left.astype(np.int64)
        right = structure.children_right.astype(np.int64)
    else:
        feature = np.array([-1])
        threshold = np.array([0.0])
        left = right = np.array([-1])
    is_leaf = left < 0
    leaf = np.where(is_leaf, np.cumsum(is_leaf) - 1, -1)
    partial = Conditional(target, n_codes, feature, threshold, left, right, leaf,
                          np.zeros((int(is_leaf.sum()), n_codes), dtype=np.float32))
    rows = partial.apply(codes)
    counts = np.zeros((int(is_leaf.sum()), n_codes))
    np.add.at(counts, (rows, y), 1.0)
    probabilities = (counts + smoothing * prior) / (counts.sum(axis=1, keepdims=True) + smoothing)
    cumulative = np.cumsum(probabilities, axis=1)
    partial.cumulative = (cumulative / cumulative[:, -1:]).astype(np.float32)
    return partial
