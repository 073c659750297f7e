"""`lookalike report --real T --synthetic T --output report.html`: the quality report.

T is a table of the DuckDB database (`--database`) or a .csv/.parquet file. Parses options,
reads the tables, calls `lookalike.report.report`, prints the summary (text or JSON).

With `--join-key K --real-parent T --synthetic-parent T`, `--real` and `--synthetic` are the
child tables and the report is a relationship report (`lookalike.report.report_relationship`):
the child joined to its parent on K, and the children per parent. There `--holdout` is the
held-out child table and `--holdout-parent` its parents: real families the model never saw."""

from __future__ import annotations

import enum
import json
from pathlib import Path

import pyarrow as pa
import typer

from lookalike.errors import ConfigError, ReadError
from lookalike.io.duckdb import DuckDBConnector
from lookalike.io.files import FORMATS, read_table, refuse_overwrite


class Format(str, enum.Enum):
    text = "text"
    json = "json"


def report(
    real: str = typer.Option(..., "--real", help="The real table the synthesizer learnt: a "
                             "table of --database, or a .csv/.parquet file."),
    synthetic: str = typer.Option(..., "--synthetic", help="The synthetic table (same kinds "
                                  "of names)."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the HTML report."),
    holdout: str = typer.Option(None, "--holdout", help="Real rows the synthesizer never saw: "
                                "adds the fresh-data reference, privacy and ML utility (with "
                                "--join-key: the held-out child rows)."),
    target: str = typer.Option(None, "--target", help="A column to predict for ML utility "
                               "(needs --holdout)."),
    ignore: list[str] = typer.Option(None, "--ignore", help="A column to leave out, such as an "
                                     "identifier (repeat for more)."),
    database: str = typer.Option(None, "--database", "-d", envvar="LOOKALIKE_DATABASE",
                                 help="duckdb:///path/to/file.duckdb (or $LOOKALIKE_DATABASE)."),
    format: Format = typer.Option(Format.text, "--format", "-f",
                                  help="How to print the summary."),
    seed: int = typer.Option(0, "--seed", min=0,
                             help="Seed for the report's sampling and models."),
    join_key: str = typer.Option(None, "--join-key", help="Report a relationship: the join-key "
                                 "column of the parent and child tables (--real and --synthetic "
                                 "are then the child tables)."),
    real_parent: str = typer.Option(None, "--real-parent", help="With --join-key: the real "
                                    "parent table (each key value at most once)."),
    synthetic_parent: str = typer.Option(None, "--synthetic-parent", help="With --join-key: "
                                         "the synthetic parent table."),
    holdout_parent: str = typer.Option(None, "--holdout-parent", help="With --join-key and "
                                       "--holdout: the held-out parent rows, whose children "
                                       "--holdout holds (whole families the model never saw)."),
) -> None:
    """Measure SYNTHETIC against REAL and write a self-contained HTML report; with --join-key,
    measure a parent/child pair of tables (joined, and children per parent)."""
    from lookalike.report import report as build_report
    from lookalike.report import text_summary

    refuse_overwrite({"--output": output}, {
        option: name for option, name in (
            ("--real", real), ("--synthetic", synthetic), ("--holdout", holdout),
            ("--real-parent", real_parent), ("--synthetic-parent", synthetic_parent),
            ("--holdout-parent", holdout_parent)) if name is not None and _is_file(name)})
    if _relationship_options(join_key, real_parent, synthetic_parent, holdout, holdout_parent,
                             target):
        _report_relationship(real, synthetic, real_parent, synthetic_parent, join_key, output,
                             ignore, database, format, seed, (holdout_parent, holdout))
        return
    names = [name for name in (real, synthetic, holdout) if name is not None]
    tables = _read(names, database)
    real_table, synthetic_table = tables[real], tables[synthetic]
    columns = None
    if ignore:
        missing = [name for name in ignore if name not in real_table.column_names]
        if missing:
            raise ConfigError(f"--ignore {missing[0]!r}: no such column in {real} "
                              f"(columns: {', '.join(real_table.column_names)})")
        columns = [name for name in real_table.column_names if name not in ignore]
    metrics, path = build_report(
        real_table, synthetic_table, output, holdout=tables.get(holdout) if holdout else None,
        target=target, columns=columns, seed=seed,
        title=f"Quality report: {synthetic} against {real}")
    if format is Format.json:
        typer.echo(json.dumps({**metrics.to_dict(), "report": str(path)}, indent=2))
    else:
        typer.echo(text_summary(metrics) + f"report: {path}")


def _relationship_options(join_key: str | None, real_parent: str | None,
                          synthetic_parent: str | None, holdout: str | None,
                          holdout_parent: str | None, target: str | None) -> bool:
    """Whether the options ask for a relationship report; a clear error when half of them do."""
    given = {"--join-key": join_key, "--real-parent": real_parent,
             "--synthetic-parent": synthetic_parent}
    if not any(value is not None for value in given.values()):
        if holdout_parent is not None:
            raise ConfigError("--holdout-parent belongs to a relationship report: add "
                              "--join-key, --real-parent and --synthetic-parent")
        return False
    missing = [option for option, value in given.items() if value is None]
    if missing:
        raise ConfigError(f"a relationship report needs --join-key, --real-parent and "
                          f"--synthetic-parent; missing {', '.join(missing)}")
    if (holdout is None) != (holdout_parent is None):
        raise ConfigError("a relationship report's holdout is whole families: pass both "
                          "--holdout (the held-out child rows) and --holdout-parent (their "
                          "parents), or neither")
    if target is not None:
        raise ConfigError("--target is not supported with --join-key: ML utility is measured "
                          "per table (run the report on the table itself)")
    return True


def _report_relationship(real: str, synthetic: str, real_parent: str, synthetic_parent: str,
                         join_key: str, output: Path, ignore: list[str] | None,
                         database: str | None, format: Format, seed: int,
                         holdout: tuple[str | None, str | None]) -> None:
    from lookalike.report import relationship_summary, report_relationship
    from lookalike.report.relationship import find_key

    holdout_parent, holdout_child = holdout
    roles = [(real_parent, "real parent"), (real, "real child"),
             (synthetic_parent, "synthetic parent"), (synthetic, "synthetic child")]
    if holdout_parent is not None:
        roles += [(holdout_parent, "holdout parent"), (holdout_child, "holdout child")]
    tables = _read([name for name, _ in roles], database)
    for name, role in roles:
        find_key(tables[name], join_key, f"{role} table {name}")
    parent, child, dropped = tables[real_parent], tables[real], set(ignore or ())
    unknown = sorted(dropped - {*parent.column_names, *child.column_names})
    if unknown:
        raise ConfigError(f"--ignore {unknown[0]!r}: no such column in {real_parent} or {real}")
    metrics, path = report_relationship(
        parent, child, tables[synthetic_parent], tables[synthetic], output,
        parent_key=join_key, parent_name=_table_name(real_parent), child_name=_table_name(real),
        parent_columns=[c for c in parent.column_names if c not in dropped],
        child_columns=[c for c in child.column_names if c not in dropped], seed=seed,
        holdout_parent=tables.get(holdout_parent) if holdout_parent else None,
        holdout_child=tables.get(holdout_child) if holdout_child else None,
        title=f"Relationship report: {synthetic_parent} → {synthetic} against {real_parent} → "
              f"{real}")
    if format is Format.json:
        typer.echo(json.dumps({**metrics.to_dict(), "report": str(path)}, indent=2))
    else:
        typer.echo(relationship_summary(metrics) + f"report: {path}")


def _table_name(name: str) -> str:
    """A short name for a file or table: prefixes clashing column names in the joined table."""
    return Path(name).stem if _is_file(name) else name.rsplit(".", 1)[-1]


def _read(names: list[str], database: str | None) -> dict[str, pa.Table]:
    """Each name as a table: a file when it ends in .csv/.parquet, else a database table."""
    out: dict[str, pa.Table] = {}
    files = [name for name in names if _is_file(name)]
    tables = [name for name in names if not _is_file(name)]
    if tables and database is None:
        raise ConfigError(f"{tables[0]!r} is not a .csv or .parquet file, so it names a table: "
                          f"pass --database duckdb:///path/to/file.duckdb")
    for name in files:
        out[name] = read_table(name)
    if tables:
        with DuckDBConnector(database) as db:
            for name in tables:
                found = db.find_table(name)
                if found is None:
                    raise ReadError(f"no table {name!r} in {database}")
                out[name] = db.read_table(found)
    return out


def _is_file(name: str) -> bool:
    return Path(name).suffix.lower() in (*FORMATS, ".pq")
