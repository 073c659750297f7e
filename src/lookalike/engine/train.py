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
    n_given: int = 0,
    given_uniforms: np.ndarray | None = None,
    ordinal: Sequence[bool] | None = None,
    on_column: Callable[[int], None] | None = None,
) -> Chain:
    """Fit P(column | given columns, earlier columns) for every column of `codes`.

    The first `n_given` columns are *given* (a parent row's columns, when a child table is
    learned): every tree may split on them, and they are never drawn. `given_uniforms` ranks
    (in [0, 1]) the given numbers the copula conditions on."""
    given = list(range(n_given))
    drawn = column_order(n_codes[n_given:])
    order = [n_given + j for j in drawn]
    conditionals = []
    for position, target in enumerate(order):
        conditionals.append(fit_conditional(
            codes, target, given + order[:position], n_codes[target],
            min_leaf=min_leaf, smoothing=smoothing, seed=int(rng.integers(2**31)),
        ))
        if on_column:
            on_column(target)
    ordinal = [True] * codes.shape[1] if ordinal is None else list(ordinal)
    linked = [ordinal[c.target] for c in conditionals]
    factor, coefficients = fit_copula(conditionals, codes, linked, rng, given_uniforms)
    return Chain(conditionals, codes.shape[1], factor, n_given, coefficients)


COPULA_SHRINKAGE = 0.05  # towards independence: keeps the matrix well-conditioned


def fit_copula(conditionals: list[Conditional], codes: np.ndarray, linked: Sequence[bool],
               rng: np.random.Generator, given_uniforms: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """The residual copula: (Cholesky factor, coefficients on the given columns' scores).

    The drawn columns' residual normal scores are Gaussian given the given columns' scores
    (a parent's numbers, ranked): mean `coefficients @ given`, covariance `factor @ factor.T`.
    Only `linked` drawn columns (binned numbers, whose codes are ordered and coarse) are
    correlated: the trees already model categories and few-valued columns value by value, and
    linking those too would make synthetic rows hug the training rows' exact combinations."""
    given_uniforms = np.zeros((len(codes), 0)) if given_uniforms is None else given_uniforms
    drawn = np.column_stack([c.transform(codes, rng) for c in conditionals]) if conditionals else (
        np.zeros((len(codes), 0)))
    scores = ndtri(np.clip(np.column_stack([given_uniforms, drawn]), 1e-6, 1 - 1e-6))
    g = given_uniforms.shape[1]
    link = np.r_[np.ones(g, dtype=bool), np.asarray(linked, dtype=bool)]
    if scores.shape[1] == 0:
        return np.zeros((0, 0)), np.zeros((0, 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.nan_to_num(np.atleast_2d(np.corrcoef(scores, rowvar=False)), nan=0.0)
    correlation = np.where(np.outer(link, link), correlation, 0.0)
    np.fill_diagonal(correlation, 1.0)
    shrunk = (1 - COPULA_SHRINKAGE) * correlation + COPULA_SHRINKAGE * np.eye(len(correlation))
    given_given, drawn_given = shrunk[:g, :g], shrunk[g:, :g]
    coefficients = np.linalg.solve(given_given, drawn_given.T).T if g else np.zeros((len(drawn.T), 0))
    conditional = shrunk[g:, g:] - coefficients @ drawn_given.T
    return np.linalg.cholesky(conditional), coefficients


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
