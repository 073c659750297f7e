"""`lookalike copy --from URL --to URL`: a synthetic copy of a whole database schema.

Parses options, calls `lookalike.copy.copy_database`, prints the per-table report."""

from __future__ import annotations

import enum
import os
import sys
from pathlib import Path

import typer

from lookalike.copy import copy_database, describe_report
from lookalike.errors import ConfigError


class Views(str, enum.Enum):
    skip = "skip"
    materialise = "materialise"


def _names(text: str | None) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()] if text else []


def copy(
    source: str = typer.Option(..., "--from", help="The source database URL (only read)."),
    target: str = typer.Option(..., "--to", help="The target database URL, folder or file."),
    schema: str = typer.Option(None, "--schema", help="The source schema (default: current)."),
    tables: str = typer.Option(None, "--tables", help="Copy only these tables: a,b,c."),
    exclude: str = typer.Option(None, "--exclude", help="Copy every table but these: x,y."),
    rows_scale: float = typer.Option(1.0, "--rows-scale",
                                     help="Rows of each top-level table, times this."),
    verbatim: str = typer.Option(None, "--verbatim",
                                 help="Small reference tables copied as they are: a,b."),
    secret_env: str = typer.Option(None, "--consistency-secret-env",
                                   help="Environment variable holding the secret that keeps "
                                        "key pseudonyms stable across runs."),
    replace: bool = typer.Option(False, "--replace",
                                 help="Replace copied tables that exist in the target."),
    seed: int = typer.Option(None, "--seed", min=0, help="Same seed, same data, same copy."),
    views: Views = typer.Option(Views.skip, "--views",
                                help="Skip views, or materialise each as a synthetic table "
                                     "learned from its rows (no keys)."),
    report: Path = typer.Option(None, "--report", help="Write report.json, index.html and one "
                                "HTML quality report per synthetic table into this folder."),
    progress: bool = typer.Option(None, "--progress/--no-progress",
                                  help="Progress bars on stderr [default: when it is a terminal]."),
) -> None:
    """Write a synthetic copy of the source schema's tables, keys and constraints into TO."""
    secret = None
    if secret_env:
        if not os.environ.get(secret_env):
            raise ConfigError(f"--consistency-secret-env {secret_env}: that environment variable "
                              f"is not set or empty")
        secret = os.environ[secret_env].encode()
    result = copy_database(source, target, schema=schema, tables=_names(tables) or None,
                           exclude=_names(exclude), rows_scale=rows_scale, secret=secret,
                           replace=replace, verbatim=_names(verbatim), seed=seed,
                           views=views.value, report=report,
                           progress=sys.stderr.isatty() if progress is None else progress)
    typer.echo(describe_report(result), nl=False)
