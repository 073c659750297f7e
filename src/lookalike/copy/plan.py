"""How one copy treats the source's keys: which foreign keys are learned as relationships and
which are filled after sampling, what the model learns of each table, and how synthetic rows are
made to fit the target's constraints (see the package docstring for the whole story)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lookalike.copy.reports import CopyReport, TableReport
from lookalike.errors import ConfigError, InvalidDataError
from lookalike.io.base import Column, ForeignKey, TableInfo, TableName
from lookalike.multitable import MultiTableSynthesizer
from lookalike.multitable.composite import (
    SURROGATE,
    any_null,
    child_surrogate,
    parent_surrogate,
    resolve,
    row_index,
    set_column,
    surrogate_name,
    without_surrogates,
)
from lookalike.multitable.relations import Relationship
from lookalike.synthesizer import MIN_DISTINCT_ROWS

NOISE = "__lookalike_noise__"


@dataclass
class _Edge:
    """One foreign key between copied tables: `child.columns` hold `parent.parent_columns`.
    A composite key is related through surrogate join keys (lookalike.multitable.composite)."""

    child: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    real: bool = False  # parent copied verbatim: draw real keys at their real frequencies

    @property
    def composite(self) -> bool:
        return len(self.columns) > 1

    @property
    def child_key(self) -> str:
        return surrogate_name("child", self.columns) if self.composite else self.columns[0]

    @property
    def parent_key(self) -> str:
        return surrogate_name("parent", self.parent_columns) if self.composite \
            else self.parent_columns[0]

    @property
    def shared(self) -> tuple[str, ...]:
        """Columns of a self-reference that name themselves, (tenant, parent_id) →
        (tenant, id): learned, and the parent is drawn among rows of the same value."""
        if self.parent != self.child:
            return ()
        return tuple(c for c, p in zip(self.columns, self.parent_columns, strict=True) if c == p)

    def __str__(self) -> str:
        return (f"{_short(self.child)}.{columns_text(self.columns)} -> "
                f"{_short(self.parent)}.{columns_text(self.parent_columns)}")


class Plan:
    """Relationships, deferred keys and per-column options for one copy."""

    def __init__(self, infos: list[TableInfo], verbatim: set[str], views: set[str],
                 report: CopyReport) -> None:
        self.infos = {str(i.name): i for i in infos}
        self.verbatim = {str(i.name) for i in infos if i.name.table in verbatim}
        self.views = views
        self.report = report
        self.edges: list[_Edge] = []  # learned as relationships
        self.deferred: list[_Edge] = []  # filled after sampling
        for info in infos:
            for fk in _filled_foreign_keys(info):
                edge = _Edge(str(info.name), fk.columns, str(fk.parent), fk.parent_columns,
                             str(fk.parent) in self.verbatim)
                if edge.child in self.verbatim:
                    continue
                if edge.real or edge.parent == edge.child:
                    self.deferred.append(edge)
                else:
                    self.edges.append(edge)
        self._break_cycles()
        report.deferred = [str(d) for d in self.deferred]

    @property
    def relationships(self) -> list[Relationship]:
        """The edges as relationships; a child's first edge is its primary one."""
        seen: set[str] = set()
        relationships = []
        for edge in self.edges:
            relationships.append(Relationship(edge.parent, edge.child, edge.parent_key,
                                              edge.child_key, edge.child not in seen))
            seen.add(edge.child)
        return relationships

    def _break_cycles(self) -> None:
        """Defer one nullable foreign key per cycle; a cycle of NOT NULL keys is refused."""
        while cycle := _find_cycle(self.edges):
            nullable = [e for e in cycle if any(self.infos[e.child].column(c).nullable
                                                for c in e.columns)]
            if not nullable:
                raise ConfigError("the foreign keys form a cycle of NOT NULL columns: "
                                  + " → ".join(f"{e.child}.{columns_text(e.columns)}"
                                               for e in cycle)
                                  + "; make one of them nullable or --exclude a table")
            self.edges.remove(nullable[0])
            self.deferred.append(nullable[0])

    def foreign_keys(self, info: TableInfo, outputs: Mapping[TableName, TableName]
                     ) -> tuple[tuple[ForeignKey, ...], tuple[ForeignKey, ...]]:
        """(foreign keys, late ones): self-references and cycle-closing keys come late."""
        late = {(d.child, d.columns) for d in self.deferred if not d.real}
        now = tuple(retarget(fk, outputs) for fk in info.foreign_keys
                    if (str(info.name), fk.columns) not in late)
        after = tuple(retarget(fk, outputs) for fk in info.foreign_keys
                      if (str(info.name), fk.columns) in late)
        return now, after

    def modelled(self) -> list[str]:
        return [name for name in self.infos if name not in self.verbatim
                and self.infos[name].columns]

    def check_sizes(self, data: Mapping[str, pa.Table]) -> None:
        for name, table in data.items():
            mode = "verbatim" if name in self.verbatim else "view" if name in self.views \
                else "synthetic"
            self.report.tables.append(TableReport(name, table.num_rows, mode=mode))
            if name in self.verbatim:
                continue
            if table.num_rows == 0:
                self.verbatim.add(name)  # nothing to learn, nothing real to leak
                self.report.tables[-1].mode = "empty"
            elif table.num_rows < MIN_DISTINCT_ROWS:
                raise InvalidDataError(
                    f"{name} has {table.num_rows} rows; at least {MIN_DISTINCT_ROWS} are needed "
                    f"to learn from it without copying. If it is reference data (countries, "
                    f"currencies), copy it as it is with --verbatim "
                    f"{self.infos[name].name.table}, or --exclude it")
        self.edges = [e for e in self.edges
                      if e.parent not in self.verbatim and e.child not in self.verbatim]
        for d in self.deferred:
            d.real = d.parent in self.verbatim

    def fit(self, data: Mapping[str, pa.Table], seed: int | None, secret: bytes | None,
            progress: bool) -> MultiTableSynthesizer | None:
        names = self.modelled()
        if not names:
            return None
        tables, keys, columns, replace = {}, {}, {}, {}
        rng = np.random.default_rng(seed)
        for name in names:
            info = self.infos[name]
            table = self._with_surrogates(name, data)
            table = table.drop_columns(sorted(self._filled_later(name)))
            keys[name] = _key_columns(info, table)
            columns[name] = _column_options(info, table, keys[name])
            for column in keys[name]:
                if info.column(column).arrow_type == pa.string() and "mail" in column.lower():
                    replace[(name, column)] = "email"
            if not [c for c in table.column_names if c not in keys[name]] and not any(
                    e.parent == name for e in self.edges):
                table = table.append_column(NOISE, pa.array(rng.random(table.num_rows)))
            tables[name] = table
        return MultiTableSynthesizer(
            relationships=self.relationships, random_state=seed, columns=columns,
            key_replace=replace, secret=secret, progress=progress,
        ).fit(tables, keys=keys)

    def _with_surrogates(self, name: str, data: Mapping[str, pa.Table]) -> pa.Table:
        """The real table plus the surrogate join keys of its composite foreign keys."""
        table = data[name]
        for edge in self.edges:
            if not edge.composite:
                continue
            if edge.parent == name and edge.parent_key not in table.column_names:
                table = table.append_column(edge.parent_key,
                                            parent_surrogate(table, edge.parent_columns))
            if edge.child == name:
                table = table.append_column(edge.child_key, child_surrogate(
                    data[name], edge.columns, data[edge.parent], edge.parent_columns))
        return table

    def _filled_later(self, name: str) -> set[str]:
        """Columns not learned: deferred keys, and composite keys (taken from the parent)."""
        return {column for edge in self.deferred + [e for e in self.edges if e.composite]
                if edge.child == name for column in edge.columns if column not in edge.shared}

    def sample(self, model: MultiTableSynthesizer | None, data: Mapping[str, pa.Table],
               rows_scale: float, seed: int | None) -> dict[str, pa.Table]:
        rng = np.random.default_rng(None if seed is None else seed + 1)
        roots = {name: max(1, round(data[name].num_rows * rows_scale))
                 for name in self.modelled()}
        synthetic = dict(model.sample(roots)) if model is not None else {}
        for name in self.verbatim:
            synthetic[name] = data[name]
        for name in self._parents_first():
            table = synthetic[name]
            if NOISE in table.column_names:
                table = table.drop_columns([NOISE])
            for d in self.deferred:
                if d.child == name:
                    table = _fill_deferred(table, d, self.infos[name], data, synthetic, rng)
            for edge in self.edges:
                if edge.child == name and edge.composite:
                    table = resolve(table, edge.child_key, edge.columns, synthetic[edge.parent],
                                    edge.parent_key, edge.parent_columns)
            synthetic[name] = self._finish(name, table, synthetic)
        return {name: without_surrogates(table) for name, table in synthetic.items()}

    def _parents_first(self) -> list[str]:
        """Tables in an order where every parent comes before its children, except along the
        keys that close a cycle (filled from the parent as sampled, checked by the target)."""
        late = {(d.child, d.parent) for d in self.deferred if not d.real}
        ordered: list[str] = []
        remaining = list(self.infos)
        while remaining:
            ready = [n for n in remaining if all(
                str(fk.parent) in ordered or str(fk.parent) == n or str(fk.parent)
                not in self.infos or (n, str(fk.parent)) in late
                for fk in self.infos[n].foreign_keys)]
            ready = ready or remaining[:1]
            ordered.extend(ready)
            remaining = [n for n in remaining if n not in ready]
        return ordered

    def _finish(self, name: str, table: pa.Table, synthetic: Mapping[str, pa.Table]
                ) -> pa.Table:
        """Cast to the source's types, respect lengths and enum labels, drop rows that would
        break a composite key, and make every foreign key point at a written parent row.
        Surrogate join keys stay, for the children that follow."""
        info = self.infos[name]
        surrogates = [c for c in table.column_names if c.startswith(SURROGATE)]
        arrays = [_conform(table, column) for column in info.columns]
        finished = pa.Table.from_arrays(arrays, schema=info.arrow_schema)
        for column in surrogates:
            finished = finished.append_column(column, table.column(column))
        if name in self.verbatim:
            return finished
        for columns in [info.primary_key, *info.unique]:
            if len(columns) > 1:
                counter = _counter_column(info, columns)
                if counter is not None:
                    finished = _renumber(finished, list(columns), counter)
                finished = _drop_duplicates(finished, list(columns))
        for fk in info.foreign_keys:
            parent = synthetic[str(fk.parent)] if str(fk.parent) != name else finished
            finished = _enforce(finished, info, fk, parent)
        return finished


def _filled_foreign_keys(info: TableInfo) -> list[ForeignKey]:
    """The foreign keys whose values copy fills: all but those whose columns are part of a
    composite key of the same table (they take its parent row's values; `_enforce` checks
    them once that is done)."""
    composite = [set(fk.columns) for fk in info.foreign_keys if len(fk.columns) > 1]
    return [fk for fk in info.foreign_keys
            if not any(set(fk.columns) < columns for columns in composite)]


def _conform(table: pa.Table, column: Column) -> pa.ChunkedArray | pa.Array:
    """The column cast to its source type, cut to its length, enum values within the labels."""
    values = table.column(column.name) if column.name in table.column_names else \
        pa.nulls(table.num_rows, column.arrow_type)
    values = values.cast(column.arrow_type)
    if column.length and pa.types.is_string(column.arrow_type):
        values = pc.utf8_slice_codeunits(values, 0, column.length)
    if column.enum_values:
        valid = pc.is_in(values, value_set=pa.array(column.enum_values))
        values = pc.if_else(pc.or_(valid, pc.is_null(values)), values,
                            pa.scalar(column.enum_values[0]))
    return values


def _short(name: str) -> str:
    return name.split(".", 1)[1]


def _find_cycle(edges: list[_Edge]) -> list[_Edge] | None:
    graph: dict[str, list[_Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.parent, []).append(edge)

    def visit(node: str, path: list[_Edge], seen: set[str]) -> list[_Edge] | None:
        for edge in graph.get(node, []):
            if edge.child in seen:
                start = next(i for i, e in enumerate(path) if e.parent == edge.child) if any(
                    e.parent == edge.child for e in path) else 0
                return path[start:] + [edge]
            found = visit(edge.child, path + [edge], seen | {edge.child})
            if found:
                return found
        return None

    for node in list(graph):
        found = visit(node, [], {node})
        if found:
            return found
    return None


def _key_columns(info: TableInfo, table: pa.Table) -> list[str]:
    """Columns that get pseudonyms: single-column primary keys, unique integer or string
    columns and foreign keys (relationships add theirs)."""
    keys = [c for c in (info.primary_key if len(info.primary_key) == 1 else ())]
    keys += [u[0] for u in info.unique if len(u) == 1]
    usable = [c for c in dict.fromkeys(keys) if c in table.column_names and (
        pa.types.is_integer(table.schema.field(c).type)
        or pa.types.is_string(table.schema.field(c).type))]
    return usable


def _column_options(info: TableInfo, table: pa.Table, keys: list[str]) -> dict[str, dict]:
    options: dict[str, dict] = {}
    for column in info.columns:
        if column.name not in table.column_names or column.name in keys:
            continue
        if not column.supported:
            options[column.name] = {"kind": "null"}
        elif column.uuid:
            options[column.name] = {"replace": "uuid"}
        elif column.enum_values:
            options[column.name] = {"categorical": True, "labels": list(column.enum_values)}
    return options


def _fill_deferred(table: pa.Table, d: _Edge, info: TableInfo, data: Mapping[str, pa.Table],
                   synthetic: Mapping[str, pa.Table], rng: np.random.Generator) -> pa.Table:
    """The key columns of `d` drawn from the parent's rows (real ones when it is copied
    verbatim), NULL in the nullable ones as often as a real key has a NULL."""
    real = data[d.child].select(list(d.columns))
    null_rate = pc.sum(any_null(real, d.columns)).as_py() / max(real.num_rows, 1)
    if d.real:
        pool = real  # real frequencies of a reference table's keys
    else:
        parent = table if d.parent == d.child else synthetic[d.parent]
        pool = parent.select(list(d.parent_columns)).rename_columns(list(d.columns))
    pool = pool.filter(pc.invert(any_null(pool, d.columns)))
    rows = table.num_rows
    nulls = pa.array(rng.random(rows) < null_rate)
    if d.parent == d.child and len(pool) == rows:  # a key column never NULL: pool is table
        groups = None if not d.shared else table.select(list(d.shared)).to_pandas().groupby(
            list(d.shared), dropna=False, sort=False).ngroup().to_numpy()
        earlier = _earlier_rows(rows, rng, groups)
        nulls = pc.or_(nulls, pa.array(earlier < 0))
        # a NOT NULL self-reference keeps one root pointing at itself, as its real one must
        picks = pool.take(pa.array(np.where(earlier >= 0, earlier, np.arange(rows))))
    elif d.shared:
        picks = pool.take(_draw_within(table, list(d.shared), pool, rng))
    else:
        picks = pool.take(pa.array(rng.integers(0, len(pool), rows))) if len(pool) else None
    for column in d.columns:
        if column in d.shared:
            continue
        if picks is None:
            values = pa.nulls(rows, real.schema.field(column).type)
        else:
            values = picks.column(column)
            if info.column(column).nullable:
                values = pc.if_else(nulls, pa.scalar(None, values.type), values)
        table = set_column(table, column, values)
    return table


def _earlier_rows(rows: int, rng: np.random.Generator, groups: np.ndarray | None = None
                  ) -> np.ndarray:
    """For each row, a row of its group (all rows without `groups`) drawn uniformly from those
    before it in a random order, -1 for each group's first: a self-reference drawn this way is
    a forest, as org charts and category trees are, with no row its own ancestor (and a
    database that checks keys row by row can load it)."""
    groups = np.zeros(rows, dtype=np.int64) if groups is None else groups
    order = np.lexsort((rng.random(rows), groups))  # by group, random within one
    ordered = groups[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, rows]))
    rank = np.arange(rows) - first
    picked = order[first + (rng.random(rows) * rank).astype(np.int64)]
    earlier = np.empty(rows, dtype=np.int64)
    earlier[order] = np.where(rank > 0, picked, -1)
    return earlier


def _draw_within(table: pa.Table, columns: list[str], pool: pa.Table,
                 rng: np.random.Generator) -> pa.Array:
    """For each row of `table`, the index of a random row of `pool` with the same values of
    `columns` (NULL where there is none)."""
    groups = pool.select(columns).append_column("__row", pa.array(np.arange(pool.num_rows)))
    groups = groups.group_by(columns, use_threads=False).aggregate([("__row", "list")])
    group = row_index(table, columns, groups, columns)
    lists = groups.column("__row_list").combine_chunks().take(group)
    lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy()
    if not lengths.any():
        return pa.nulls(table.num_rows, pa.int64())
    starts = lists.offsets.to_numpy()[:-1]
    picks = starts + np.floor(rng.random(len(lengths)) * lengths).astype(np.int64)
    index = lists.values.take(pa.array(np.minimum(picks, len(lists.values) - 1)))
    return pc.if_else(pa.array(lengths > 0), index, pa.scalar(None, pa.int64()))


def _counter_column(info: TableInfo, columns: Sequence[str]) -> str | None:
    """The column of a composite key that counts within the others (order_items.line): its
    last integer column that is no foreign key, if any."""
    keys = {c for fk in info.foreign_keys for c in fk.columns}
    counters = [c for c in columns if c not in keys
                and pa.types.is_integer(info.column(c).arrow_type)]
    return counters[-1] if counters else None


def _renumber(table: pa.Table, columns: list[str], counter: str) -> pa.Table:
    """Rows that repeat a composite key take the next free value of `counter` within their
    group (lines 1, 1, 2 of an order become 1, 2, 3) instead of being dropped; values that
    would overflow the column's type are left, for `_drop_duplicates`."""
    values = table.column(counter)
    if values.null_count or table.num_rows == 0:
        return table
    groups = [c for c in columns if c != counter]
    frame = table.select(groups).to_pandas()
    frame["value"] = values.to_numpy()
    frame["row"] = np.arange(table.num_rows)
    frame = frame.sort_values([*groups, "value", "row"], kind="stable")
    grouped = frame.groupby(groups, dropna=False, sort=False)
    rank = grouped.cumcount().to_numpy()
    group = grouped.ngroup().to_numpy()
    shifted = pd.Series(frame["value"].to_numpy() - rank).groupby(group).cummax().to_numpy()
    renumbered = np.empty(table.num_rows, dtype=np.int64)
    renumbered[frame["row"].to_numpy()] = shifted + rank
    fits = renumbered <= np.iinfo(values.type.to_pandas_dtype()).max
    renumbered = np.where(fits, renumbered, values.to_numpy())
    return set_column(table, counter, pa.array(renumbered).cast(values.type))


def _drop_duplicates(table: pa.Table, columns: list[str]) -> pa.Table:
    index = pa.array(np.arange(table.num_rows))
    first = table.select(columns).append_column("__row", index).group_by(columns).aggregate(
        [("__row", "min")]).column("__row_min")
    return table.take(pa.array(np.sort(first.to_numpy())))


def _enforce(table: pa.Table, info: TableInfo, fk: ForeignKey, parent: pa.Table) -> pa.Table:
    """Make each row's key `fk` point at a row of `parent`: a row whose key is missing there
    gets NULL in its nullable key columns (enough for the database: MATCH SIMPLE), and is
    dropped when they are all NOT NULL, or when a NOT NULL one is already NULL."""
    columns = list(fk.columns)
    if len(columns) == 1:
        found = pc.is_in(table.column(columns[0]),
                         value_set=parent.column(fk.parent_columns[0]).combine_chunks()
                         .drop_null())
    else:
        found = row_index(table, columns, parent, fk.parent_columns).is_valid()
    nullable = [c for c in columns if info.column(c).nullable]
    complete = pc.invert(any_null(table, [c for c in columns if c not in nullable]))
    valid = pc.and_(complete, pc.or_(found, any_null(table, columns)))
    if pc.all(valid).as_py() is not False:
        return table
    if nullable:
        for column in nullable:
            values = table.column(column)
            table = set_column(table, column,
                               pc.if_else(valid, values, pa.scalar(None, values.type)))
        return table.filter(complete)
    return table.filter(valid)


def retarget(fk: ForeignKey, outputs: Mapping[TableName, TableName]) -> ForeignKey:
    return ForeignKey(fk.columns, outputs[fk.parent], fk.parent_columns, fk.name)


def columns_text(columns: Sequence[str]) -> str:
    return columns[0] if len(columns) == 1 else "(" + ", ".join(columns) + ")"
