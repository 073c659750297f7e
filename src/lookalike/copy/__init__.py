"""A synthetic copy of a whole database schema: `copy_database(source, target)`.

The steps, in order (each timed in the returned report):

1. **catalog**: the source schema's tables, columns, keys. Views are skipped, or with
   `views="materialise"` copied as plain tables learned from their rows (no keys). Every foreign key
   becomes a join-key relationship (lookalike.multitable). A composite foreign key is related
   through one surrogate join key, and its columns take the values of the synthetic parent row
   the surrogate names (lookalike.multitable.composite); composite primary keys and unique
   constraints are kept (rows that would break them are dropped, and their children with them).
   A self-reference, or a foreign key that closes a cycle and is nullable, is *deferred*: its
   columns are not learned, and are filled after sampling with keys of the synthetic parent
   (NULL at the real NULL rate). A cycle of NOT NULL keys is refused.
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

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from lookalike.copy import reports
from lookalike.copy.plan import Plan, columns_text
from lookalike.copy.reports import CopyReport, TableReport, describe_report
from lookalike.errors import ConfigError
from lookalike.io.base import TableInfo, TableName, TableWrite, WriteError
from lookalike.io.connect import connect

VIEWS = ("skip", "materialise")


MAX_ROWS_SCALE = 1e6  # more would not fit any machine: a typo, not a wish


def copy_database(source: Any, target: Any, *, schema: str | None = None,
                  tables: Sequence[str] | None = None, exclude: Sequence[str] = (),
                  rows_scale: float = 1.0, secret: bytes | None = None, replace: bool = False,
                  verbatim: Sequence[str] = (), seed: int | None = None,
                  views: str = "skip", report: str | Path | None = None,
                  progress: bool = False) -> CopyReport:
    """Write a synthetic copy of the `source` schema's tables into `target` (URLs, paths or
    connectors; see lookalike.io.connect). `views`: "skip" them, or "materialise" each as a
    table learned from its rows. `report`: a folder for report.json, index.html and one HTML
    quality report per synthetic table (needs the `report` extra)."""
    if not 0 < rows_scale <= MAX_ROWS_SCALE:
        raise ConfigError(f"--rows-scale must be above 0 and at most {MAX_ROWS_SCALE:g}, not "
                          f"{rows_scale}")
    if views not in VIEWS:
        raise ConfigError(f"--views must be skip or materialise, not {views!r}")
    if report is not None:
        reports.require_rendering()
    created = _new_duckdb_file(target)
    try:
        copied = _copy(source, target, schema, tables, exclude, rows_scale, secret, replace,
                       verbatim, seed, views, progress)
    except BaseException:
        if created is not None:
            created.unlink(missing_ok=True)
            Path(f"{created}.wal").unlink(missing_ok=True)
        raise
    # the copy is committed: a report that fails now must not take it away
    return _finish(copied, None if report is None else Path(report), seed)


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
          verbatim: Sequence[str], seed: int | None, views: str, progress: bool) -> _Copied:
    report = CopyReport()
    clock = _Clock(report)
    with connect(source) as src, connect(target) as dst:
        if _identity(src) == _identity(dst):
            raise ConfigError(f"the target {dst.url} is the source database; copy into another "
                              f"database")
        with clock("catalog"):
            infos, materialised = _catalog(src, schema, tables, exclude, views)
            kept = set(verbatim)
            unknown = kept - {i.name.table for i in infos}
            if unknown:
                raise ConfigError(f"--verbatim names tables that are not copied: "
                                  f"{', '.join(sorted(unknown))}")
            outputs = _outputs(dst, infos, replace)
            plan = Plan(infos, kept, materialised, report)
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
    return _Copied(report, plan, data, synthetic)


@dataclass
class _Copied:
    """A committed copy, and what its reports are made from."""

    report: CopyReport
    plan: Plan
    data: Mapping[str, pa.Table]
    synthetic: Mapping[str, pa.Table]


def _finish(copied: _Copied, folder: Path | None, seed: int | None) -> CopyReport:
    report = copied.report
    if folder is not None:
        with _Clock(report)("report"):
            reports.quality_reports(folder, report, copied.plan.infos, copied.data,
                                    copied.synthetic, seed)
    for table in report.tables:
        table.table = table.table.split(".", 1)[1]  # schema.table
    if folder is not None:
        reports.write_summary(folder, report)
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
             exclude: Sequence[str], views: str) -> tuple[list[TableInfo], set[str]]:
    """The tables to copy, and which of them are views to materialise."""
    schema = schema or src.current()[1]
    listed = {t.table: t for t in src.tables(schema)}
    is_view = {name: src.is_view(table) for name, table in listed.items()}
    by_name = {n: t for n, t in listed.items() if views == "materialise" or not is_view[n]}
    if not by_name:
        raise ConfigError(f"no tables in schema {schema} of {src.url}")
    wanted = list(tables) if tables else list(by_name)
    missing = [t for t in list(wanted) + list(exclude) if t not in by_name]
    if missing:
        skipped = [t for t in missing if t in listed]
        hint = (f"; {', '.join(skipped)} {'is a view' if len(skipped) == 1 else 'are views'}: "
                f"pass --views materialise to copy views as tables") if skipped else ""
        raise ConfigError(f"no table {', '.join(missing)} in schema {schema}; it has "
                          f"{', '.join(sorted(by_name))}{hint}")
    infos = [_describe(src, by_name[t], is_view[t]) for t in wanted if t not in set(exclude)]
    materialised = {str(i.name) for i in infos if is_view[i.name.table]}
    copied = {i.name for i in infos}
    problems = []
    for info in infos:
        for fk in info.foreign_keys:
            if fk.parent not in copied:
                problems.append(f"{info.name.table}.{columns_text(fk.columns)} references "
                                f"{fk.parent.table}, which is not copied; add it to --tables or "
                                f"--exclude {info.name.table}")
    if problems:
        raise ConfigError("cannot copy this schema:\n" + "\n".join(f"  - {p}" for p in problems))
    return infos, materialised


def _describe(src: Any, table: TableName, view: bool) -> TableInfo:
    """The table's catalog entry; a view's without keys (some engines report its base
    table's): it becomes a plain table."""
    info = src.describe(table)
    if not view:
        return info
    columns = tuple(dataclasses.replace(c, identity=False) for c in info.columns)
    return dataclasses.replace(info, columns=columns, primary_key=(), unique=(),
                               foreign_keys=())


def _outputs(dst: Any, infos: list[TableInfo], replace: bool) -> dict[TableName, TableName]:
    database, schema = dst.current()
    outputs = {i.name: TableName(database, schema, i.name.table) for i in infos}
    existing = {t.table for t in dst.tables(schema)}
    if existing and not replace:
        raise ConfigError(f"the target schema {schema} of {dst.url} is not empty (it has "
                          f"{', '.join(sorted(existing)[:10])}); pass --replace to replace the "
                          f"copied tables in it")
    return outputs


def _stream(table: pa.Table):
    return lambda: iter(table.to_batches(max_chunksize=100_000))


__all__ = ["CopyReport", "TableReport", "WriteError", "copy_database", "describe_report"]
