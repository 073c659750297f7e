"""The joint model: a chain of conditional distributions over column codes.

P(row) = P(c1) · P(c2 | c1) · P(c3 | c1, c2) · …, each factor a decision tree whose leaves hold
a smoothed distribution of the next column's codes. Trees capture non-linear and higher-order
dependencies (incident type → vehicles → claim amount → fraud) that a copula cannot.

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

    def sample(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw this column's codes for every row, given the earlier columns in `codes`."""
        cumulative = self.cumulative[self.apply(codes)]
        draws = rng.random(len(codes), dtype=np.float32)[:, None]
        return np.minimum((cumulative < draws).sum(axis=1), self.n_codes - 1).astype(np.int32)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        arrays = {name: getattr(self, name) for name in
                  ("feature", "threshold", "left", "right", "leaf", "cumulative")}
        return {"target": self.target, "n_codes": self.n_codes}, arrays

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Conditional:
        return cls(target=int(state["target"]), n_codes=int(state["n_codes"]), **arrays)


@dataclass
class Chain:
    """The conditionals in the order columns are generated."""

    conditionals: list[Conditional]
    n_columns: int

    def sample(self, n_rows: int, rng: np.random.Generator) -> np.ndarray:
        """Codes for `n_rows` synthetic rows (rows × columns)."""
        codes = np.zeros((n_rows, self.n_columns), dtype=np.int32)
        for conditional in self.conditionals:
            codes[:, conditional.target] = conditional.sample(codes, rng)
        return codes
