"""The joint model: a chain of conditional distributions over column codes.

P(row) = P(c1) · P(c2 | c1) · P(c3 | c1, c2) · …, each factor a decision tree whose leaves hold
a smoothed distribution of the next column's codes. Trees capture non-linear and higher-order
dependencies (incident type → vehicles → claim amount → fraud) that a copula cannot.

Trees with large leaves see dependencies at a coarse grain only. The residual *copula* restores
the fine grain: each column's draw is driven by a uniform whose position inside the leaf's
distribution (its randomized probability integral transform) is correlated across columns the way
the training rows' are, through one Gaussian correlation matrix. Leaf distributions stay exact;
only the dependence between draws is added, and no row is kept.

Privacy lives in two knobs: a leaf holds at least `min_leaf` training rows, and its distribution
is blended with the column's overall distribution (`smoothing` pseudo-rows), so no leaf is a
lookup table of a few real rows.

A fitted tree is kept as plain arrays (no pickled scikit-learn objects), so saved models load in
any version and hold no code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri


@dataclass
class Conditional:
    """P(codes of one column | codes of the columns before it), as a decision tree."""

    target: int  # column index
    n_codes: int
    feature: np.ndarray  # per node: column index tested (-1 at leaves)
    threshold: np.ndarray  # per node: go left when code <= threshold
    left: np.ndarray  # per node: left child (-1 at leaves)
    right: np.ndarray
    leaf: np.ndarray  # per node: row of `cumulative` for leaves, -1 inside
    cumulative: np.ndarray  # per leaf: cumulative distribution over codes (float32)

    def apply(self, codes: np.ndarray) -> np.ndarray:
        """The leaf row each row of `codes` (rows × all columns) falls in."""
        node = np.zeros(len(codes), dtype=np.int64)
        active = np.flatnonzero(self.left[node] >= 0)
        while active.size:
            here = node[active]
            go_left = codes[active, self.feature[here]] <= self.threshold[here]
            node[active] = np.where(go_left, self.left[here], self.right[here])
            active = active[self.left[node[active]] >= 0]
        return self.leaf[node]

    def sample(self, codes: np.ndarray, uniforms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """This column's codes for every row, given the earlier columns in `codes`, by inverse
        transform of `uniforms`; also where each uniform fell inside its code's probability
        (a fresh uniform, used to place a value inside its bin).

        One binary search over all leaves' cumulative rows laid end to end (leaf i's row offset
        by i), so memory stays linear in the rows whatever the number of codes."""
        leaves = self.apply(codes)
        found = np.searchsorted(self._stacked(), leaves + uniforms, side="left")
        drawn = np.minimum(found - leaves * self.n_codes, self.n_codes - 1)
        low, high = self._bounds(leaves, drawn)
        inside = np.clip((uniforms - low) / np.maximum(high - low, 1e-12), 0.0, 1.0 - 1e-9)
        return drawn.astype(np.int32), inside

    def transform(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Randomized probability integral transform of the real codes: uniform on [0, 1) when
        the model is right; their dependence across columns is what the copula learns."""
        low, high = self._bounds(self.apply(codes), codes[:, self.target])
        return low + rng.random(len(codes)) * (high - low)

    def _bounds(self, leaves: np.ndarray, drawn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cumulative probability below and up to each row's code, in its leaf."""
        high = self.cumulative[leaves, drawn].astype(np.float64)
        below = self.cumulative[leaves, np.maximum(drawn - 1, 0)].astype(np.float64)
        return np.where(drawn > 0, below, 0.0), high

    def _stacked(self) -> np.ndarray:
        if getattr(self, "_stacked_cache", None) is None:
            offsets = np.arange(len(self.cumulative), dtype=np.float64)[:, None]
            self._stacked_cache = (self.cumulative.astype(np.float64) + offsets).ravel()
        return self._stacked_cache

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {name: getattr(self, name) for name in
                  ("feature", "threshold", "left", "right", "leaf", "cumulative")}
        return {"target": self.target, "n_codes": self.n_codes}, arrays

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Conditional:
        return cls(target=int(state["target"]), n_codes=int(state["n_codes"]), **arrays)


@dataclass
class Chain:
    """The conditionals in the order columns are generated, and the residual copula: the
    Cholesky factor of the correlation of the normal scores of their uniforms (chain order)."""

    conditionals: list[Conditional]
    n_columns: int
    copula: np.ndarray  # lower-triangular, len(conditionals) square
    n_given: int = 0  # leading columns that are given, never drawn
    copula_given: np.ndarray | None = None  # coefficients on the given columns' normal scores

    def sample(self, n_rows: int, rng: np.random.Generator, given: np.ndarray | None = None,
               given_uniforms: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Codes for `n_rows` synthetic rows (rows × columns), and for each cell a uniform
        position inside its code (where a value falls inside its bin). `given` holds the codes
        of the leading given columns (rows × n_given) when the chain has any, and
        `given_uniforms` the ranks of the given numbers the copula conditions on."""
        codes = np.zeros((n_rows, self.n_columns), dtype=np.int32)
        positions = np.zeros((n_rows, self.n_columns))
        if self.n_given:
            codes[:, : self.n_given] = given
        normals = rng.standard_normal((n_rows, len(self.conditionals))) @ self.copula.T
        if self.copula_given is not None and self.copula_given.size:
            scores = ndtri(np.clip(given_uniforms, 1e-6, 1 - 1e-6))
            normals += scores @ self.copula_given.T
        uniforms = ndtr(normals)
        for step, conditional in enumerate(self.conditionals):
            target = conditional.target
            codes[:, target], positions[:, target] = conditional.sample(codes, uniforms[:, step])
        return codes, positions
