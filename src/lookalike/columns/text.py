"""Non-categorical strings (ids, names, free text): no real value ever comes out.

The model keeps only whether a value is NULL (code 0) or present (code 1), so null patterns
follow the other columns; present values are redacted or replaced by fakes (see lookalike.fakes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from lookalike.fakes import fake

NULL_CODE, PRESENT_CODE = 0, 1


@dataclass
class TextModel:
    replace: str  # "redact" or a fake kind

    n_codes = 2

    def encode(self, column: pa.ChunkedArray) -> np.ndarray:
        return column.is_valid().to_numpy(zero_copy_only=False).astype(np.int32)

    def decode(self, codes: np.ndarray, arrow_type: pa.DataType, rng: np.random.Generator,
               positions: np.ndarray | None = None) -> pa.Array:
        values = fake(self.replace, len(codes), rng)
        array = pa.array(values, type=pa.string(), mask=codes == NULL_CODE)
        return array.cast(arrow_type)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"replace": self.replace}, {}

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> TextModel:
        return cls(state["replace"])


@dataclass
class NullModel:
    """Columns of a type lookalike cannot model: NULL in every row, as the warehouse does."""

    n_codes = 1

    def encode(self, column: pa.ChunkedArray) -> np.ndarray:
        return np.zeros(len(column), dtype=np.int32)

    def decode(self, codes: np.ndarray, arrow_type: pa.DataType, rng: np.random.Generator,
               positions: np.ndarray | None = None) -> pa.Array:
        return pa.nulls(len(codes), type=arrow_type)

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {}

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> NullModel:
        return cls()
