"""`lookalike generate --config synth.json`: GENERATE_SYNTHETIC_DATA on any supported database.

Parses options, calls `generate_synthetic_data`, prints the metrics it returns."""

from __future__ import annotations

import enum
import sys
from pathlib import Path

import pandas as pd
import typer

from lookalike.errors import ConfigError
from lookalike.procedure import generate_synthetic_data


class Format(str, enum.Enum):
    table = "table"
    json = "json"
    csv = "csv"


def generate(
    config: Path = typer.Option(..., "--config", "-c",
                                help="The procedure's configuration, a JSON file."),
    database: str = typer.Option(None, "--database", "-d", envvar="LOOKALIKE_DATABASE",
                                 help="duckdb:///file.duckdb, postgresql://…, mysql://…, "
                                      "sqlite:///file.db (or $LOOKALIKE_DATABASE)."),
    format: Format = typer.Option(Format.table, "--format", "-f",
                                  help="How to print the metrics."),
    progress: bool = typer.Option(None, "--progress/--no-progress",
                                  help="Progress bars on stderr [default: when it is a terminal]."),
    report: Path = typer.Option(None, "--report", help="Write one HTML quality report per "
                                "output table into this folder, and one per parent -> child "
                                "pair generated together."),
) -> None:
    """Write a synthetic table for each dataset of CONFIG; print the correlation metrics."""
    if database is None:
        raise ConfigError("no database: pass --database duckdb:///path/to/file.duckdb "
                          "or set LOOKALIKE_DATABASE")
    show = sys.stderr.isatty() if progress is None else progress
    metrics = generate_synthetic_data(config, database, progress=show, report=report)
    typer.echo(render(metrics, format), nl=False)


def render(metrics: pd.DataFrame, format: Format) -> str:
    if format is Format.json:
        return metrics.to_json(orient="records", date_format="iso", indent=2) + "\n"
    if format is Format.csv:
        return metrics.to_csv(index=False)
    with pd.option_context("display.max_rows", None, "display.width", 200):
        return metrics.drop(columns=["created_on"]).to_string(index=False) + "\n"
