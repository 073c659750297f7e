"""A synthetic copy of a whole database schema: `copy_database(source, target)`.

The steps, in order (each timed in the returned report):

1. **catalog**: the source schema's tables, columns, keys; views are skipped. Every foreign key
   becomes a join-key relationship (lookalike.multitable). Composite foreign keys are refused
   with a message naming them; composite primary keys and unique constraints are kept (rows that
   would break them are dropped). A self-reference, or a foreign key that closes a cycle and is
   nullable, is *deferred*: its column is not learned, and is filled after sampling with keys of
   the synthetic parent (NULL at the real NULL rate). A cycle of NOT NULL keys is refused.
2. **read** every table (Arrow batches). 3. **fit** one MultiTableSynthesizer. 4. **sample**
   (`rows_scale` scales the tables without a parent; children follow their parents).
5. **write** every table into the target, parents first, with primary keys, unique constraints
   and foreign keys, identities past the largest value: all tables or none.

Safety: refuses to write into the source database, and into a target schema that already has
tables unless `replace=True` (then only the copied tables are replaced). Tables named in
`verbatim` (small reference tables: countries, currencies) are copied as they are; keys that
point at them keep real values, drawn at their real frequencies.
"""

from __future__ import annotations

import time
from pathlib import Path
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lookalike.errors import ConfigError, InvalidDataError
from lookalike.io.base import ForeignKey, TableInfo, TableName, TableWrite, WriteError
from lookalike.io.connect import connect
from lookalike.multitable import MultiTableSynthesizer
from lookalike.multitable.relations import Relationship
from lookalike.synthesizer import MIN_DISTINCT_ROWS

NOISE = "__lookalike_noise__"


@dataclass
class TableReport:
    table: str
    real_rows: int
    synthetic_rows: int = 0
    mode: str = "synthetic"  # or "verbatim"


@dataclass
class CopyReport:
    """What was copied, and where the time went (seconds)."""

    tables: list[TableReport] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    deferred: list[str] = field(default_factory=list)  # foreign keys filled after sampling

    def to_dict(self) -> dict[str, Any]:
        return {"tables": [vars(t) for t in self.tables], "seconds": self.seconds,
                "deferred_foreign_keys": self.deferred}


def copy_database(source: Any, target: Any, *, schema: str | None = None,
                  tables: Sequence[str] | None = None, exclude: Sequence[str] = (),
                  rows_scale: float = 1.0, secret: bytes | None = None, replace: bool = False,
                  verbatim: Sequence[str] = (), seed: int | None = None,
                  progress: bool = False) -> CopyReport:
    """Write a synthetic copy of the `source` schema's tables into `target` (URLs, paths or
    connectors; see lookalike.io.connect)."""
    if not rows_scale > 0:
        raise ConfigError(f"--rows-scale must be above 0, not {rows_scale}")
    created = _new_duckdb_file(target)
    try:
        return _copy(source, target, schema, tables, exclude, rows_scale, secret, replace,
                     verbatim, seed, progress)
    except BaseException:
        if created is not None:
            created.unlink(missing_ok=True)
        raise


def _new_duckdb_file(target: Any) -> Path | None:
    """A DuckDB target file that does not exist yet is created (and removed on failure)."""
    if not isinstance(target, (str, Path)) or not str(target).startswith("duckdb:///"):
        return None
    path = Path(str(target)[len("duckdb:///"):])
    if str(path) == ":memory:" or path.exists():
        return None
    import duckdb
    duckdb.connect(str(path)).close()
    return path


def _copy(source: Any, target: Any, schema: str | None, tables: Sequence[str] | None,
          exclude: Sequence[str], rows_scale: float, secret: bytes | None, replace: bool,
          verbatim: Sequence[str], seed: int | None, progress: bool) -> CopyReport:
    report = CopyReport()
    clock = _Clock(report)
    with connect(source) as src, connect(target) as dst:
        if _identity(src) == _identity(dst):
            raise ConfigError(f"the target {dst.url} is the source database; copy into another "
                              f"database")
        with clock("catalog"):
            infos = _catalog(src, schema, tables, exclude)
            kept = set(verbatim)
            unknown = kept - {i.name.table for i in infos}
            if unknown:
                raise ConfigError(f"--verbatim names tables that are not copied: "
                                  f"{', '.join(sorted(unknown))}")
            outputs = _outputs(dst, infos, replace)
            plan = _Plan(infos, kept, report)
        with clock("read"):
            data = {str(i.name): src.read_table(i.name) for i in infos}
        plan.check_sizes(data)
        with clock("fit"):
            model = plan.fit(data, seed, secret, progress)
        with clock("sample"):
            synthetic = plan.sample(model, data, rows_scale, seed)
        with clock("write"):
            writes = [TableWrite(outputs[i.name], i, _stream(synthetic[str(i.name)]),
                                 *plan.foreign_keys(i, outputs)) for i in infos]
            dst.write_tables(writes, replace=replace)
        for write, info in zip(writes, infos, strict=True):
            next(t for t in report.tables if t.table == str(info.name)).synthetic_rows = \
                write.rows
    for table in report.tables:
        table.table = table.table.split(".", 1)[1]  # schema.table
    return report


class _Clock:
    def __init__(self, report: CopyReport) -> None:
        self.report = report

    def __call__(self, step: str):
        clock = self

        class _Step:
            def __enter__(self):
                self.start = time.perf_counter()

            def __exit__(self, *args):
                clock.report.seconds[step] = round(time.perf_counter() - self.start, 3)
                return False
        return _Step()


def _identity(db: Any) -> tuple:
    return (db.engine, *db.identity()) if hasattr(db, "identity") else (db.engine, id(db))


def _catalog(src: Any, schema: str | None, tables: Sequence[str] | None,
             exclude: Sequence[str]) -> list[TableInfo]:
    schema = schema or src.current()[1]
    names = [t for t in src.tables(schema) if not src.is_view(t)]
    if not names:
        raise ConfigError(f"no tables in schema {schema} of {src.url}")
    by_name = {t.table: t for t in names}
    wanted = list(tables) if tables else list(by_name)
    missing = [t for t in list(wanted) + list(exclude) if t not in by_name]
    if missing:
        raise ConfigError(f"no table {', '.join(missing)} in schema {schema}; it has "
                          f"{', '.join(sorted(by_name))}")
    infos = [src.describe(by_name[t]) for t in wanted if t not in set(exclude)]
    copied = {i.name for i in infos}
    problems = []
    for info in infos:
        for fk in info.foreign_keys:
            if len(fk.columns) > 1:
                problems.append(f"{info.name.table}: composite foreign key "
                                f"({', '.join(fk.columns)}) → {fk.parent.table} is not supported "
                                f"yet; drop that constraint or --exclude {info.name.table}")
            elif fk.parent not in copied:
                problems.append(f"{info.name.table}.{fk.columns[0]} references "
                                f"{fk.parent.table}, which is not copied; add it to --tables or "
                                f"--exclude {info.name.table}")
    if problems:
        raise ConfigError("cannot copy this schema:\n" + "\n".join(f"  - {p}" for p in problems))
    return infos


def _outputs(dst: Any, infos: list[TableInfo], replace: bool) -> dict[TableName, TableName]:
    database, schema = dst.current()
    outputs = {i.name: TableName(database, schema, i.name.table) for i in infos}
    existing = {t.table for t in dst.tables(schema)}
    if existing and not replace:
        raise ConfigError(f"the target schema {schema} of {dst.url} is not empty (it has "
                          f"{', '.join(sorted(existing)[:10])}); pass --replace to replace the "
                          f"copied tables in it")
    return outputs


def _retarget(fk: ForeignKey, outputs: Mapping[TableName, TableName]) -> ForeignKey:
    return ForeignKey(fk.columns, outputs[fk.parent], fk.parent_columns, fk.name)


def _stream(table: pa.Table):
    return lambda: iter(table.to_batches(max_chunksize=100_000))


@dataclass
class _Deferred:
    child: str
    column: str
    parent: str
    parent_column: str
    real: bool  # parent copied verbatim: draw real keys at their real frequencies


class _Plan:
    """Relationships, deferred keys and per-column options for one copy."""

    def __init__(self, infos: list[TableInfo], verbatim: set[str], report: CopyReport) -> None:
        self.infos = {str(i.name): i for i in infos}
        self.verbatim = {str(i.name) for i in infos if i.name.table in verbatim}
        self.report = report
        self.relationships: list[Relationship] = []
        self.deferred: list[_Deferred] = []
        edges = []
        for info in infos:
            for fk in info.foreign_keys:
                child, parent = str(info.name), str(fk.parent)
                edge = _Deferred(child, fk.columns[0], parent, fk.parent_columns[0],
                                 parent in self.verbatim)
                if child in self.verbatim:
                    continue
                if parent in self.verbatim or parent == child:
                    self.deferred.append(edge)
                else:
                    edges.append(edge)
        self._break_cycles(edges)
        seen: set[str] = set()
        for edge in edges:
            self.relationships.append(Relationship(edge.parent, edge.child, edge.parent_column,
                                                   edge.column, edge.child not in seen))
            seen.add(edge.child)
        report.deferred = [f"{_short(d.child)}.{d.column} -> {_short(d.parent)}."
                           f"{d.parent_column}" for d in self.deferred]

    def _break_cycles(self, edges: list[_Deferred]) -> None:
        """Defer one nullable foreign key per cycle; a cycle of NOT NULL keys is refused."""
        while cycle := _find_cycle(edges):
            nullable = [e for e in cycle if self.infos[e.child].column(e.column).nullable]
            if not nullable:
                raise ConfigError("the foreign keys form a cycle of NOT NULL columns: "
                                  + " → ".join(f"{e.child}.{e.column}" for e in cycle)
                                  + "; make one of them nullable or --exclude a table")
            edges.remove(nullable[0])
            self.deferred.append(nullable[0])

    def foreign_keys(self, info: TableInfo, outputs: Mapping[TableName, TableName]
                     ) -> tuple[tuple[ForeignKey, ...], tuple[ForeignKey, ...]]:
        """(foreign keys, late ones): self-references and cycle-closing keys come late."""
        late = {(d.child, d.column) for d in self.deferred if not d.real}
        now = tuple(_retarget(fk, outputs) for fk in info.foreign_keys
                    if (str(info.name), fk.columns[0]) not in late)
        after = tuple(_retarget(fk, outputs) for fk in info.foreign_keys
                      if (str(info.name), fk.columns[0]) in late)
        return now, after

    def modelled(self) -> list[str]:
        return [name for name in self.infos if name not in self.verbatim
                and self.infos[name].columns]

    def check_sizes(self, data: Mapping[str, pa.Table]) -> None:
        for name, table in data.items():
            self.report.tables.append(TableReport(name, table.num_rows, mode="verbatim"
                                                  if name in self.verbatim else "synthetic"))
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
        self.relationships = [r for r in self.relationships
                              if r.parent not in self.verbatim and r.child not in self.verbatim]
        for d in self.deferred:
            d.real = d.parent in self.verbatim

    def fit(self, data: Mapping[str, pa.Table], seed: int | None, secret: bytes | None,
            progress: bool) -> MultiTableSynthesizer | None:
        names = self.modelled()
        if not names:
            return None
        tables, keys, columns, replace = {}, {}, {}, {}
        deferred = {(d.child, d.column) for d in self.deferred}
        rng = np.random.default_rng(seed)
        for name in names:
            info, table = self.infos[name], data[name]
            table = table.drop_columns([c for t, c in deferred if t == name])
            keys[name] = _key_columns(info, table)
            columns[name] = _column_options(info, table, keys[name])
            for column in keys[name]:
                if info.column(column).arrow_type == pa.string() and "mail" in column.lower():
                    replace[(name, column)] = "email"
            if not [c for c in table.column_names if c not in keys[name]] and not any(
                    r.parent == name for r in self.relationships):
                table = table.append_column(NOISE, pa.array(rng.random(table.num_rows)))
            tables[name] = table
        return MultiTableSynthesizer(
            relationships=self.relationships, random_state=seed, columns=columns,
            key_replace=replace, secret=secret, progress=progress,
        ).fit(tables, keys=keys)

    def sample(self, model: MultiTableSynthesizer | None, data: Mapping[str, pa.Table],
               rows_scale: float, seed: int | None) -> dict[str, pa.Table]:
        rng = np.random.default_rng(None if seed is None else seed + 1)
        roots = {name: max(1, round(data[name].num_rows * rows_scale))
                 for name in self.modelled()}
        synthetic = dict(model.sample(roots)) if model is not None else {}
        for name in self.verbatim:
            synthetic[name] = data[name]
        for name in _parents_first(self.infos, self.relationships):
            table = synthetic[name]
            if NOISE in table.column_names:
                table = table.drop_columns([NOISE])
            for d in self.deferred:
                if d.child == name:
                    table = _fill_deferred(table, d, data, synthetic, rng)
            synthetic[name] = self._finish(name, table, synthetic)
        return synthetic

    def _finish(self, name: str, table: pa.Table, synthetic: Mapping[str, pa.Table]
                ) -> pa.Table:
        """Cast to the source's types, respect lengths and enum labels, drop rows that would
        break a composite key, and make every foreign key point at a written parent row."""
        info = self.infos[name]
        arrays = []
        for column in info.columns:
            values = table.column(column.name) if column.name in table.column_names else \
                pa.nulls(table.num_rows, column.arrow_type)
            values = values.cast(column.arrow_type)
            if column.length and pa.types.is_string(column.arrow_type):
                values = pc.utf8_slice_codeunits(values, 0, column.length)
            if column.enum_values:
                valid = pc.is_in(values, value_set=pa.array(column.enum_values))
                values = pc.if_else(pc.or_(valid, pc.is_null(values)), values,
                                    pa.scalar(column.enum_values[0]))
            arrays.append(values)
        table = pa.Table.from_arrays(arrays, schema=info.arrow_schema)
        if name in self.verbatim:
            return table
        for columns in [info.primary_key, *info.unique]:
            if len(columns) > 1:
                table = _drop_duplicates(table, list(columns))
        for fk in info.foreign_keys:
            parent = synthetic[str(fk.parent)] if str(fk.parent) != name else table
            table = _enforce(table, fk.columns[0], parent.column(fk.parent_columns[0]),
                             info.column(fk.columns[0]).nullable)
        return table


def _short(name: str) -> str:
    return name.split(".", 1)[1]


def _find_cycle(edges: list[_Deferred]) -> list[_Deferred] | None:
    graph: dict[str, list[_Deferred]] = {}
    for edge in edges:
        graph.setdefault(edge.parent, []).append(edge)

    def visit(node: str, path: list[_Deferred], seen: set[str]) -> list[_Deferred] | None:
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


def _parents_first(infos: Mapping[str, TableInfo], relationships: list[Relationship]
                   ) -> list[str]:
    ordered: list[str] = []
    remaining = list(infos)
    while remaining:
        ready = [n for n in remaining if all(
            str(fk.parent) in ordered or str(fk.parent) == n or str(fk.parent) not in infos
            or not any(r.child == n and r.parent == str(fk.parent) for r in relationships)
            for fk in infos[n].foreign_keys)]
        ready = ready or remaining[:1]
        ordered.extend(ready)
        remaining = [n for n in remaining if n not in ready]
    return ordered


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
            options[column.name] = {"categorical": True}
    return options


def _fill_deferred(table: pa.Table, d: _Deferred, data: Mapping[str, pa.Table],
                   synthetic: Mapping[str, pa.Table], rng: np.random.Generator) -> pa.Table:
    real = data[d.child].column(d.column)
    rows = table.num_rows
    null_rate = real.null_count / max(len(real), 1)
    if d.real:
        pool = real.drop_null()  # real frequencies of a reference table's keys
    else:
        pool = (table if d.parent == d.child else synthetic[d.parent]).column(d.parent_column)
        pool = pool.drop_null()
    if len(pool) == 0:
        values = pa.nulls(rows, real.type)
    else:
        picks = pool.take(pa.array(rng.integers(0, len(pool), rows)))
        nulls = pa.array(rng.random(rows) < null_rate)
        values = pc.if_else(nulls, pa.scalar(None, picks.type), picks)
    if d.column in table.column_names:
        return table.set_column(table.column_names.index(d.column), d.column, values)
    return table.append_column(d.column, values)


def _drop_duplicates(table: pa.Table, columns: list[str]) -> pa.Table:
    index = pa.array(np.arange(table.num_rows))
    first = table.select(columns).append_column("__row", index).group_by(columns).aggregate(
        [("__row", "min")]).column("__row_min")
    return table.take(pa.array(np.sort(first.to_numpy())))


def _enforce(table: pa.Table, column: str, parent_keys: pa.ChunkedArray, nullable: bool
             ) -> pa.Table:
    values = table.column(column)
    known = pc.or_(pc.is_in(values, value_set=parent_keys.combine_chunks().drop_null()),
                   pc.is_null(values))
    if pc.all(known).as_py() is not False:
        return table
    if nullable:
        fixed = pc.if_else(known, values, pa.scalar(None, values.type))
        return table.set_column(table.column_names.index(column), column, fixed)
    return table.filter(known)


def describe_report(report: CopyReport) -> str:
    lines = [f"{'table':40} {'mode':10} {'real rows':>10} {'written':>10}"]
    for t in report.tables:
        lines.append(f"{t.table:40} {t.mode:10} {t.real_rows:>10} {t.synthetic_rows:>10}")
    lines.append("seconds: " + ", ".join(f"{k} {v}" for k, v in report.seconds.items()))
    if report.deferred:
        lines.append("foreign keys filled after sampling: " + "; ".join(report.deferred))
    return "\n".join(lines) + "\n"


__all__ = ["CopyReport", "TableReport", "WriteError", "copy_database", "describe_report"]
