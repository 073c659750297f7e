"""`lookalike demo`: the lab's insurance-fraud workflow end to end, on embedded DuckDB.

Parses options and calls `lookalike.demo.run_demo`; the steps live in lookalike.demo."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from lookalike.errors import InvalidOptionError


def demo(
    output: Path = typer.Option(Path("lookalike-demo"), "--output", "-o",
                                help="Folder for the database, report, plot and registry."),
    database: str = typer.Option(None, "--database", "-d",
                                 help="Run in this database instead (duckdb:///file.duckdb or "
                                      "postgresql://user@host/db); schemas DATA and NOTEBOOK are "
                                      "created in it."),
    seeds: int = typer.Option(5, "--seeds", min=1,
                              help="Seeds (held-out splits) of the fair evaluation."),
    padding: str = typer.Option("1,2,5", "--padding",
                                help="Padding factors k: real rows plus k times as many "
                                     "synthetic rows."),
    fast: bool = typer.Option(False, "--fast", help="A smaller grid search (4 settings, not 18)."),
    skip_llm: bool = typer.Option(False, "--skip-llm", help="Skip the language model step."),
    llm_rows: int = typer.Option(10, "--llm-rows", min=1, help="Rows the language model writes."),
    holdout: float = typer.Option(0.25, "--holdout", min=0.05, max=0.5,
                                  help="Share of customers held out for the fair evaluation."),
    seed: int = typer.Option(7, "--seed", help="Seed of the synthesis and the lab's model."),
) -> None:
    """Run the insurance-fraud lab end to end: load the CSVs into BUILD_LONDON_25, write fake
    customers with the LLM, synthesise claims and customers with GENERATE_SYNTHETIC_DATA, train
    the lab's XGBoost model, evaluate it fairly on held-out real claims, register it in MLflow
    and check drift on new claims. Ends with a summary table and an HTML report."""
    from lookalike.demo import DemoOptions, run_demo

    options = DemoOptions(output=output, database=database, seeds=seeds,
                          padding=_factors(padding), grid="fast" if fast else "full",
                          llm=not skip_llm, llm_rows=llm_rows, holdout_share=holdout, seed=seed,
                          progress=sys.stderr.isatty())
    run_demo(options)


def _factors(text: str) -> tuple[int, ...]:
    try:
        factors = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        factors = ()
    if not factors or min(factors) < 1:
        raise InvalidOptionError(f"--padding {text!r}: give whole numbers >= 1, e.g. 1,2,5")
    return factors
