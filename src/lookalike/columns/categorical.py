"""Columns of categories: categorical strings and booleans (and numbers declared categorical).

Codes: 0 is NULL, 1 is the pooled rare categories, 2 + k is the k-th most frequent category
(the k-th in dictionary order for an ordered dictionary, such as an ordered pandas Categorical,
whose order is kept in the output).

Privacy: a string category seen fewer than `rare_threshold` times in the whole table could point
at one person, so it is never emitted verbatim; rare categories are pooled and come out as
RARE_VALUE. Booleans and numbers declared categorical are not pooled (their values say nothing
that a range would not).

A column whose values are declared (an enum's labels, passed as the `labels` option; the
procedure and `copy` pass them from the catalog) cannot hold RARE_VALUE. Its pooled rows come out
as a declared label drawn uniformly from all of them: the labels are public in the schema and the
draw ignores the data, so a pooled row says no more than RARE_VALUE would (that rare values
exist). An Arrow dictionary's values are not taken as declared: a pandas Categorical's
categories usually come from the data itself, rare ones included.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lookalike.metadata import is_string_type

NULL_CODE, RARE_CODE, FIRST_CODE = 0, 1, 2
RARE_VALUE = "_RARE_"


@dataclass
class CategoricalPartial:
    counts: Counter
    nulls: int
    order: list[Any] | None = None  # an ordered dictionary's values, in its order


def _plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def analyze(column: pa.ChunkedArray) -> CategoricalPartial:
    counted = pc.value_counts(_plain(column))
    counts = Counter(
        dict(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(),
                 strict=True))
    )
    nulls = counts.pop(None, 0)
    return CategoricalPartial(counts, nulls, _dictionary_order(column))


def _dictionary_order(column: pa.ChunkedArray) -> list[Any] | None:
    if not (pa.types.is_dictionary(column.type) and column.type.ordered):
        return None
    rank: dict[Any, int] = {}
    for chunk in column.chunks:
        for value in chunk.dictionary.to_pylist():
            rank.setdefault(value, len(rank))
    return list(rank)


def reduce(partials: list[CategoricalPartial], arrow_type: pa.DataType,
           rare_threshold: int, labels: tuple[str, ...] | None = None) -> CategoricalModel:
    counts: Counter = Counter()
    for partial in partials:
        counts.update(partial.counts)
    pools_rare = is_string_type(arrow_type)
    kept = [value for value, count in counts.most_common()
            if not pools_rare or count >= rare_threshold]
    order = next((partial.order for partial in partials if partial.order is not None), None)
    if order is not None:
        rank = {value: position for position, value in enumerate(order)}
        kept.sort(key=lambda value: rank.get(value, len(rank)))
    value_type = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    stand_ins = list(labels or ()) if pools_rare else []
    return CategoricalModel(categories=pa.array(kept, type=value_type),
                            rare_count=sum(counts.values()) - sum(counts[v] for v in kept),
                            stand_ins=pa.array(stand_ins, type=value_type))


@dataclass
class CategoricalModel:
    categories: pa.Array  # kept categories, most frequent first
    rare_count: int  # how many real values were pooled as rare
    stand_ins: pa.Array | None = None  # declared labels: what pooled rows come out as

    @property
    def n_codes(self) -> int:
        return len(self.categories) + FIRST_CODE

    def encode(self, column: pa.ChunkedArray) -> np.ndarray:
        column = _plain(column)
        index = pc.index_in(column, value_set=self.categories)
        codes = pc.fill_null(pc.add(index, FIRST_CODE), RARE_CODE).to_numpy(zero_copy_only=False)
        valid = column.is_valid().to_numpy(zero_copy_only=False)
        return np.where(valid, codes, NULL_CODE).astype(np.int32)

    def decode(self, codes: np.ndarray, arrow_type: pa.DataType, rng: np.random.Generator,
               positions: np.ndarray | None = None) -> pa.Array:
        values = self.categories
        rare: int | np.ndarray = 0  # nothing is pooled in other types: no rare code is seen
        if self.stand_ins is not None and len(self.stand_ins) and is_string_type(arrow_type):
            values = pa.concat_arrays([values, self.stand_ins])
            rare = len(self.categories) + _draws(codes, len(self.stand_ins), rng)
            if pa.types.is_dictionary(arrow_type):  # one entry per label in the dictionary
                values, rare = self._declared_dictionary(codes, rng)
        elif is_string_type(arrow_type):
            values = pa.concat_arrays([values, pa.array([RARE_VALUE], type=values.type)])
            rare = len(self.categories)
        index = pa.array(np.where(codes >= FIRST_CODE, codes - FIRST_CODE, rare),
                         mask=codes == NULL_CODE)
        if pa.types.is_dictionary(arrow_type):
            # the kept categories in the model's order are the dictionary: an ordered one keeps
            # its order, and every batch has the same categories
            if (self.rare_count == 0 and not np.any(codes == RARE_CODE)
                    and not (self.stand_ins is not None and len(self.stand_ins))):
                values = self.categories
            return pa.DictionaryArray.from_arrays(index.cast(arrow_type.index_type), values,
                                                  ordered=arrow_type.ordered)
        taken = values.take(index)
        return taken.cast(arrow_type) if taken.type != arrow_type else taken

    def _declared_dictionary(self, codes: np.ndarray, rng: np.random.Generator
                             ) -> tuple[pa.Array, np.ndarray]:
        """Kept categories, then the declared labels not kept, each once; a pooled row points
        at a uniformly drawn label wherever it sits."""
        kept = self.categories.to_pylist()
        extra = [value for value in self.stand_ins.to_pylist() if value not in set(kept)]
        values = pa.array(kept + extra, type=self.categories.type)
        position = {value: i for i, value in enumerate(kept + extra)}
        where = np.array([position[v] for v in self.stand_ins.to_pylist()], dtype=np.int64)
        return values, where[_draws(codes, len(where), rng)]

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        state = {"categories": self.categories.to_pylist(), "rare_count": self.rare_count}
        if self.stand_ins is not None and len(self.stand_ins):
            state["stand_ins"] = self.stand_ins.to_pylist()
        return state, {}

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, np.ndarray],
                   arrow_type: pa.DataType) -> CategoricalModel:
        value_type = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
        return cls(pa.array(state["categories"], type=value_type), int(state["rare_count"]),
                   pa.array(state.get("stand_ins", []), type=value_type))


def _draws(codes: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A uniform stand-in index for each pooled row (the generator is used only when one is
    pooled, so columns without pooled rows draw exactly as before)."""
    rare = codes == RARE_CODE
    draws = np.zeros(len(codes), dtype=np.int64)
    if rare.any():
        draws[rare] = rng.integers(size, size=int(rare.sum()))
    return draws
