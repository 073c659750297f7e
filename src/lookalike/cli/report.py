"""`lookalike report --real T --synthetic T --output report.html`: the quality report.

T is a table of the DuckDB database (`--database`) or a .csv/.parquet file. Parses options,
reads the tables, calls `lookalike.report.report`, prints the summary (text or JSON)."""

from __future__ import annotations

import enum
import json
from pathlib import Path

import pyarrow as pa
import typer

from lookalike.errors import ConfigError, ReadError
from lookalike.io.duckdb import DuckDBConnector
from lookalike.io.files import FORMATS, read_table


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
                                "adds the fresh-data reference, privacy and ML utility."),
    target: str = typer.Option(None, "--target", help="A column to predict for ML utility "
                               "(needs --holdout)."),
    ignore: list[str] = typer.Option(None, "--ignore", help="A column to leave out, such as an "
                                     "identifier (repeat for more)."),
    database: str = typer.Option(None, "--database", "-d", envvar="LOOKALIKE_DATABASE",
                                 help="duckdb:///path/to/file.duckdb (or $LOOKALIKE_DATABASE)."),
    format: Format = typer.Option(Format.text, "--format", "-f",
                                  help="How to print the summary."),
    seed: int = typer.Option(0, "--seed", help="Seed for the report's sampling and models."),
) -> None:
    """Measure SYNTHETIC against REAL and write a self-contained HTML report."""
    from lookalike.report import report as build_report
    from lookalike.report import text_summary

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
