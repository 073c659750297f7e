"""`lookalike synthesize INPUT OUTPUT`: one file in, a synthetic file of the same shape out.

External benchmarks call this command: keep its arguments and behaviour stable."""

from __future__ import annotations

from pathlib import Path

import typer

from lookalike.errors import InvalidOptionError
from lookalike.io.files import file_format, read_table, refuse_overwrite, write_table
from lookalike.synthesizer import Synthesizer


def synthesize(
    input: Path = typer.Argument(..., help="Real table: a .csv or .parquet file."),
    output: Path = typer.Argument(..., help="Where to write the synthetic table (.csv or .parquet)."),
    rows: int = typer.Option(None, "--rows", "-n", min=0,
                             help="Rows to generate [default: as many as INPUT has]."),
    seed: int = typer.Option(None, "--seed", min=0,
                             help="Seed: the same seed gives the same output."),
    save_model: Path = typer.Option(None, "--save-model",
                                    help="Also save the fitted model to this file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or summary."),
) -> None:
    """Learn INPUT and write a synthetic table like it to OUTPUT."""
    file_format(output)
    refuse_overwrite({"OUTPUT": output, "--save-model": save_model}, {"INPUT": input})
    if save_model is not None and not save_model.parent.is_dir():
        raise InvalidOptionError(f"--save-model {save_model}: no folder {save_model.parent}")
    table = read_table(input)
    model = Synthesizer(random_state=seed, progress=not quiet).fit(table)
    if save_model:
        model.save(save_model)
    written = write_table(model.sample_batches(rows), model.schema_, output)
    if not quiet:
        typer.echo(f"wrote {written} synthetic rows of {len(model.columns_)} columns to {output}",
                   err=True)
