"""`lookalike demo`: the main job on a fresh machine, on the lab's insurance tables."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from lookalike.io.files import read_table, write_table
from lookalike.synthesizer import Synthesizer

TABLES = ("claim_data", "customer_data")


def demo(
    output: Path = typer.Option(Path("lookalike-demo"), "--output", "-o",
                                help="Folder for the synthetic tables."),
    seed: int = typer.Option(7, "--seed", help="Seed for the synthesizer."),
) -> None:
    """Synthesise the lab's insurance tables (shipped with lookalike) into OUTPUT."""
    console = Console(stderr=True)
    summary = Table(title="lookalike demo: insurance tables")
    for column in ("table", "rows", "columns", "kinds", "seconds", "output"):
        summary.add_column(column)
    data = resources.files("lookalike") / "data" / "insurance"
    for name in TABLES:
        with resources.as_file(data / f"{name}.csv") as path:
            real = read_table(path)
        start = time.perf_counter()
        model = Synthesizer(random_state=seed, progress=True).fit(real)
        target = output / f"{name}_synthetic.csv"
        rows = write_table(model.sample_batches(), model.schema_, target)
        kinds = sorted({spec.kind for spec in model.columns_})
        summary.add_row(name, str(rows), str(len(model.columns_)), ", ".join(kinds),
                        f"{time.perf_counter() - start:.2f}", str(target))
    console.print(summary)
