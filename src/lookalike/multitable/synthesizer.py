"""Several related tables at once: children are generated from their parents' synthetic rows.

- A parent's model learns, besides its own columns, how many children each of its rows has
  (one count column per relationship), so the children-per-parent distribution follows the
  parent's attributes (older customers, more claims).
- A child's model learns its columns *given its primary parent's row* (the Synthesizer's
  context), so dependencies across the join (premium → claim amount) survive.
- Generation goes parents first: each synthetic parent row is repeated as often as its count
  says and its children are drawn from it; orphans (child rows whose key has no parent row)
  are drawn with an empty context, at the real orphan rate.
- Keys are pseudonyms (lookalike.multitable.keys): referential integrity holds by construction.
- Rows a caller rejects (`sample(reject=...)`, the similarity filter) are redrawn before any
  child is drawn from them: a root row by a new row, a child row given the same parent row.
  Keys are dealt afterwards, so a rejected row never leaves an orphan behind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lookalike.errors import InvalidOptionError
from lookalike.multitable.keys import KeyFormat, pseudonyms
from lookalike.multitable.relations import Relationship, order_tables
from lookalike.synthesizer import Synthesizer

PARENT_PREFIX = "parent."
COUNT_PREFIX = "__children__"

# (table name, synthetic rows of its own columns) -> mask of the rows to draw again
RowCheck = Callable[[str, pa.Table], np.ndarray]


@dataclass
class _TableModel:
    name: str
    schema: pa.Schema
    keys: list[str]  # join-key columns, filled with pseudonyms
    counts: list[Relationship]  # relationships whose children this table counts
    model: Synthesizer | None = None
    orphan_share: float = 0.0  # child rows whose key has no parent row
    null_key_share: float = 0.0  # child rows whose key is NULL
    key_formats: dict[str, KeyFormat] = field(default_factory=dict)
    real_keys: dict[str, pa.ChunkedArray] = field(default_factory=dict)


class MultiTableSynthesizer:
    """Learns related tables and generates them with their join keys consistent.

    tables are pyarrow Tables keyed by name; `relationships` from
    `lookalike.multitable.relations.infer_relationships`; `columns` holds per-table
    Synthesizer column options; `key_replace` maps (table, key column) to "uuid" or "email"
    for string keys; `secret` keeps pseudonyms stable across runs.
    """

    def __init__(self, *, relationships: Sequence[Relationship], random_state: int | None = None,
                 columns: Mapping[str, Mapping[str, Any]] | None = None,
                 key_replace: Mapping[tuple[str, str], str] | None = None,
                 secret: bytes | None = None, progress: bool = False) -> None:
        self.relationships = list(relationships)
        self.random_state = random_state
        self.columns = dict(columns or {})
        self.key_replace = dict(key_replace or {})
        self.secret = secret
        self.progress = progress

    def fit(self, tables: Mapping[str, pa.Table],
            keys: Mapping[str, Sequence[str]] | None = None) -> MultiTableSynthesizer:
        """Learn every table; `keys` lists each table's join-key columns (those in the
        relationships are always keys)."""
        self.order_ = order_tables(list(tables), self.relationships)
        seeds = np.random.SeedSequence(self.random_state).spawn(len(self.order_) + 1)
        self.seed_ = int(seeds[-1].generate_state(1)[0])
        self.tables_: dict[str, _TableModel] = {}
        modelled: dict[str, pa.Table] = {}
        for name, seed in zip(self.order_, seeds, strict=False):
            table = tables[name]
            model = self._describe(name, table, keys)
            own = self._modelled_columns(model, table, tables)
            parent = self._primary(name)
            context = None
            if parent is not None:
                context = self._parent_context(parent, table, tables[parent.parent],
                                               modelled[parent.parent])
                model.orphan_share, model.null_key_share = _orphan_shares(
                    table.column(parent.child_key), tables[parent.parent].column(parent.parent_key))
            model.model = Synthesizer(
                random_state=int(seed.generate_state(1)[0]), columns=self.columns.get(name),
                progress=self.progress,
            ).fit(own, context=context)
            modelled[name] = own.drop_columns([c for c in own.column_names
                                               if c.startswith(COUNT_PREFIX)])
            self.tables_[name] = model
        return self

    def _describe(self, name: str, table: pa.Table, keys: Mapping[str, Sequence[str]] | None
                  ) -> _TableModel:
        key_columns = set(keys.get(name, ()) if keys else ())
        for r in self.relationships:
            if r.parent == name:
                key_columns.add(r.parent_key)
            if r.child == name:
                key_columns.add(r.child_key)
        ordered = [c for c in table.column_names if c in key_columns]
        model = _TableModel(name, table.schema, ordered,
                            [r for r in self.relationships if r.parent == name])
        for column in ordered:
            try:
                model.key_formats[column] = KeyFormat(table.column(column),
                                                      self.key_replace.get((name, column)))
            except InvalidOptionError as error:
                raise InvalidOptionError(f"table {name}, column {column}: {error}") from error
            model.real_keys[column] = table.column(column)
        return model

    def _modelled_columns(self, model: _TableModel, table: pa.Table,
                          tables: Mapping[str, pa.Table]) -> pa.Table:
        """The table without its keys, plus one children-count column per relationship."""
        own = table.drop_columns(model.keys)
        for i, relationship in enumerate(model.counts):
            counts = _children_per_row(table.column(relationship.parent_key),
                                       tables[relationship.child].column(relationship.child_key))
            own = own.append_column(f"{COUNT_PREFIX}{i}", pa.array(counts, pa.int64()))
        return own

    def _primary(self, name: str) -> Relationship | None:
        return next((r for r in self.relationships if r.child == name and r.primary), None)

    def _parent_context(self, relationship: Relationship, child: pa.Table, parent: pa.Table,
                        parent_modelled: pa.Table) -> pa.Table:
        """For each child row, its parent's modelled columns (NULL for orphans)."""
        index = pc.index_in(child.column(relationship.child_key),
                            value_set=parent.column(relationship.parent_key).combine_chunks())
        rows = parent_modelled.take(index)
        return rows.rename_columns([PARENT_PREFIX + c for c in rows.column_names])

    # -- sample ---------------------------------------------------------------------------------

    def sample(self, num_rows: Mapping[str, int] | None = None, *,
               reject: RowCheck | None = None, rounds: int = 1) -> dict[str, pa.Table]:
        """Synthetic tables by name. `num_rows` sets the row count of tables without a parent
        (default: as many as the real table); children follow from their parents.

        `reject` sees every drawn row (its own columns, no keys) and names the rows to draw
        again: a root row is replaced by a new one, a child row is drawn again given the same
        parent row. A row still rejected after `rounds` draws is dropped, children unborn."""
        rng = np.random.default_rng(self.seed_)
        synthetic: dict[str, pa.Table] = {}  # modelled columns and counts
        keys: dict[str, dict[str, pa.Array]] = {}
        for name in self.order_:
            model = self.tables_[name]
            parent = self._primary(name)
            if parent is None:
                rows = (num_rows or {}).get(name, model.model.n_rows_)
                drawn, _ = self._draw(name, rows, None, rng, reject, rounds)
                keys[name] = {}
            else:
                drawn, keys[name] = self._sample_children(parent, synthetic, keys, rng,
                                                          reject, rounds)
            synthetic[name] = drawn
            self._deal_parent_keys(model, synthetic[name], keys[name], rng)
        for relationship in self.relationships:
            if not relationship.primary:
                keys[relationship.child][relationship.child_key] = self._secondary_keys(
                    relationship, synthetic, keys, rng)
        return {name: self._assemble(self.tables_[name], synthetic[name], keys[name])
                for name in self.order_}

    def _draw(self, name: str, count: int | None, context: pa.Table | None,
              rng: np.random.Generator, reject: RowCheck | None, rounds: int
              ) -> tuple[pa.Table, np.ndarray]:
        """`count` rows of `name` (or one per context row) and the positions kept: rows
        `reject` names are drawn again, up to `rounds` draws in all, then dropped."""
        model = self.tables_[name].model

        def draw(positions: np.ndarray) -> pa.Table:
            given = None if context is None else context.take(pa.array(positions, pa.int64()))
            return _as_arrow(model.sample(len(positions) if given is None else None,
                                          context=given, random_state=int(rng.integers(2**31))))

        total = count if context is None else context.num_rows
        drawn, pending = draw(np.arange(total)), np.arange(total)
        for round_ in range(rounds if reject is not None else 0):
            if round_:
                drawn = _replace_rows(drawn, pending, draw(pending))
            checked = drawn.take(pa.array(pending, pa.int64()))
            pending = pending[np.asarray(reject(name, _own_columns(checked)), dtype=bool)]
            if not pending.size:
                break
        if reject is None or not pending.size:
            return drawn, np.arange(total)
        kept = np.setdiff1d(np.arange(total), pending)
        return drawn.take(pa.array(kept, pa.int64())), kept

    def _sample_children(self, relationship: Relationship, synthetic: dict[str, pa.Table],
                         keys: dict[str, dict[str, pa.Array]], rng: np.random.Generator,
                         reject: RowCheck | None = None, rounds: int = 1
                         ) -> tuple[pa.Table, dict[str, pa.Array]]:
        parent_model = self.tables_[relationship.parent]
        child_model = self.tables_[relationship.child]
        parent_rows = synthetic[relationship.parent]
        count_column = f"{COUNT_PREFIX}{parent_model.counts.index(relationship)}"
        counts = np.maximum(parent_rows.column(count_column).to_numpy(zero_copy_only=False), 0)
        counts = np.nan_to_num(counts).astype(np.int64)
        modelled = parent_rows.drop_columns([c for c in parent_rows.column_names
                                             if c.startswith(COUNT_PREFIX)])
        repeat = np.repeat(np.arange(parent_rows.num_rows), counts)
        context = modelled.take(pa.array(repeat, pa.int64()))
        parent_keys = keys[relationship.parent][relationship.parent_key]
        child_keys = parent_keys.take(pa.array(repeat, pa.int64()))
        orphans = _orphan_count(len(repeat), child_model.orphan_share + child_model.null_key_share)
        if orphans:
            context = pa.concat_tables([context, _null_rows(context.schema, orphans)])
            child_keys = pa.concat_arrays([child_keys, self._orphan_keys(
                relationship, parent_keys, orphans, child_model, rng)])
        context = context.rename_columns([PARENT_PREFIX + c for c in context.column_names])
        drawn, kept = self._draw(relationship.child, None, context, rng, reject, rounds)
        if len(kept) < len(child_keys):
            child_keys = child_keys.take(pa.array(kept, pa.int64()))
        return drawn, {relationship.child_key: child_keys}

    def _orphan_keys(self, relationship: Relationship, parent_keys: pa.Array, count: int,
                     child_model: _TableModel, rng: np.random.Generator) -> pa.Array:
        """Keys of orphan rows: NULL as often as in the real data, else keys no parent has."""
        parent_model = self.tables_[relationship.parent]
        key = parent_model.key_formats[relationship.parent_key]
        real = parent_model.real_keys[relationship.parent_key]
        share = child_model.orphan_share + child_model.null_key_share
        nulls = rng.random(count) < (child_model.null_key_share / share if share else 0)
        fresh = pseudonyms(key, real, len(parent_keys) + count, secret=None, rng=rng)
        used = set(parent_keys.to_pylist())
        free = [v for v in fresh.to_pylist() if v not in used][:count]
        return pa.array([None if null else value for null, value in zip(nulls, free)],
                        type=parent_keys.type)

    def _deal_parent_keys(self, model: _TableModel, rows: pa.Table,
                          keys: dict[str, pa.Array], rng: np.random.Generator) -> None:
        """Pseudonyms for the key columns this table is the parent of (and lone keys)."""
        for column in model.keys:
            if column in keys:
                continue
            keys[column] = pseudonyms(model.key_formats[column], model.real_keys[column],
                                      rows.num_rows, secret=self.secret, rng=rng)

    def _secondary_keys(self, relationship: Relationship, synthetic: dict[str, pa.Table],
                        keys: dict[str, dict[str, pa.Array]], rng: np.random.Generator
                        ) -> pa.Array:
        """Keys of a secondary parent, dealt in proportion to its rows' children counts."""
        parent_model = self.tables_[relationship.parent]
        count_column = f"{COUNT_PREFIX}{parent_model.counts.index(relationship)}"
        weights = np.nan_to_num(synthetic[relationship.parent].column(count_column)
                                .to_numpy(zero_copy_only=False)).astype(np.float64)
        parent_keys = keys[relationship.parent][relationship.parent_key]
        rows = synthetic[relationship.child].num_rows
        if weights.sum() <= 0:
            weights = np.ones(len(weights))
        chosen = rng.choice(len(parent_keys), rows, p=weights / weights.sum())
        return parent_keys.take(pa.array(chosen, pa.int64()))

    def _assemble(self, model: _TableModel, rows: pa.Table, keys: dict[str, pa.Array]
                  ) -> pa.Table:
        """The synthetic table with the real table's columns, order and types."""
        arrays = []
        for field_ in model.schema:
            if field_.name in model.keys:
                arrays.append(keys[field_.name].cast(field_.type))
            else:
                arrays.append(rows.column(field_.name).cast(field_.type))
        return pa.Table.from_arrays(arrays, schema=model.schema)


def _as_arrow(data: Any) -> pa.Table:
    return data if isinstance(data, pa.Table) else pa.Table.from_pandas(data,
                                                                         preserve_index=False)


def _own_columns(rows: pa.Table) -> pa.Table:
    """A table's synthetic rows without its children-count columns."""
    return rows.drop_columns([c for c in rows.column_names if c.startswith(COUNT_PREFIX)])


def _replace_rows(rows: pa.Table, positions: np.ndarray, new_rows: pa.Table) -> pa.Table:
    """`rows` with the rows at `positions` replaced by `new_rows`, in order."""
    order = np.arange(rows.num_rows)
    order[positions] = rows.num_rows + np.arange(len(positions))
    return pa.concat_tables([rows, new_rows.cast(rows.schema)]).take(pa.array(order, pa.int64()))


def _children_per_row(parent_keys: pa.ChunkedArray, child_keys: pa.ChunkedArray) -> np.ndarray:
    counted = pc.value_counts(child_keys.drop_null())
    values, counts = counted.field("values"), counted.field("counts")
    index = pc.index_in(parent_keys, value_set=values)
    found = pc.take(counts, pc.fill_null(index, 0))
    return np.where(index.is_valid().to_numpy(zero_copy_only=False),
                    found.to_numpy(zero_copy_only=False), 0)


def _orphan_shares(child_keys: pa.ChunkedArray, parent_keys: pa.ChunkedArray
                   ) -> tuple[float, float]:
    total = max(len(child_keys), 1)
    nulls = child_keys.null_count
    known = pc.is_in(child_keys.drop_null(), value_set=parent_keys.combine_chunks())
    orphans = len(known) - pc.sum(known).as_py() if len(known) else 0
    return orphans / total, nulls / total


def _orphan_count(children: int, share: float) -> int:
    if share <= 0 or share >= 1:
        return 0
    return round(children * share / (1 - share))


def _null_rows(schema: pa.Schema, count: int) -> pa.Table:
    return pa.Table.from_arrays([pa.nulls(count, f.type) for f in schema], schema=schema)
