"""`lookalike llm`: fake rows from a schema and a few examples, written by a language model.

    lookalike llm --table DATA.CUSTOMER_DATA --rows 100 --database duckdb:///lab.duckdb \
        --output-table DATA.CUSTOMER_FAKE
    lookalike llm --schema schema.json --rows 100 --output customers.parquet
    lookalike llm serve --port 8080      # the embedded model as an OpenAI-compatible server

Parses options, calls `lookalike.llm.generate_table`, reports what it did."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from lookalike.errors import InvalidOptionError

app = typer.Typer(help="Fake rows from a schema and a few examples, written by a language "
                       "model (the embedded one, or an OpenAI-compatible endpoint).",
                  invoke_without_command=True, no_args_is_help=True)


class ExampleRows(str, enum.Enum):
    real = "real"
    synthetic = "synthetic"
    none = "none"


@app.callback()
def llm(
    ctx: typer.Context,
    rows: int = typer.Option(None, "--rows", "-n", min=0, help="How many rows to write."),
    table: str = typer.Option(None, "--table", "-t",
                              help="Source table DB.SCHEMA.TABLE in --database."),
    schema: Path = typer.Option(None, "--schema", "-s",
                                help="Source schema, a JSON file (no data needed)."),
    input: Path = typer.Option(None, "--input", "-i", help="Source data, a CSV or Parquet file."),
    database: str = typer.Option(None, "--database", "-d", envvar="LOOKALIKE_DATABASE",
                                 help="duckdb:///path/to/file.duckdb (or $LOOKALIKE_DATABASE)."),
    output: Path = typer.Option(None, "--output", "-o", help="Write a CSV or Parquet file."),
    output_table: str = typer.Option(None, "--output-table",
                                     help="Write (atomically replace) a table in --database."),
    model: str = typer.Option(None, "--model", "-m", envvar="LOOKALIKE_LLM_MODEL",
                              help="'local' (the embedded model, the default) or the endpoint's "
                                   "model name."),
    endpoint: str = typer.Option(None, "--endpoint", "-e", envvar="LOOKALIKE_LLM_ENDPOINT",
                                 help="An OpenAI-compatible endpoint, e.g. "
                                      "http://127.0.0.1:8080/v1."),
    api_key: str = typer.Option(None, "--api-key", envvar="LOOKALIKE_LLM_API_KEY",
                                help="The endpoint's API key (or $LOOKALIKE_LLM_API_KEY)."),
    examples: int = typer.Option(10, "--examples", min=0,
                                 help="Example rows shown to the model (0: none)."),
    example_rows: ExampleRows = typer.Option(
        None, "--example-rows", help="Show real rows, synthetic ones, or none. Default: real "
                                     "for the embedded model, synthetic for an endpoint."),
    seed: int = typer.Option(None, "--seed", help="Seed: the same seed, the same rows (local)."),
    temperature: float = typer.Option(1.0, "--temperature", min=0.0,
                                      help="Sampling temperature of the model (0: greedy)."),
    batch_size: int = typer.Option(None, "--batch-size", min=1, help="Rows asked for per call."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar, no summary."),
) -> None:
    """Write ROWS fake rows of a table's schema to a file or a table."""
    if ctx.invoked_subcommand is not None:
        return
    from lookalike.llm import generate_table, make_backend

    if rows is None:
        raise InvalidOptionError("--rows is required: how many rows to write")
    if output is None and output_table is None:
        raise InvalidOptionError("nowhere to write: pass --output FILE or --output-table NAME")
    log = None if quiet else (lambda message: typer.echo(message, err=True))
    backend = make_backend(endpoint, model, api_key, log=log)
    result = generate_table(
        rows, backend=backend, schema=schema, table=table, database=database, data=input,
        output=output, output_table=output_table, examples=examples,
        example_rows_from=example_rows.value if example_rows else None, seed=seed,
        batch_size=batch_size, temperature=temperature, progress=not quiet)
    if not quiet:
        target = output if output is not None else output_table
        typer.echo(f"wrote {result.table.num_rows} rows of {result.table.num_columns} columns "
                   f"to {target}: {result.report.summary()}", err=True)


@app.command()
def serve(
    port: int = typer.Option(8080, "--port", "-p", min=1, max=65535, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
) -> None:
    """Serve the embedded model as an OpenAI-compatible /v1/chat/completions endpoint."""
    from lookalike.llm.server import serve as run

    run(host, port, ready=lambda url: typer.echo(f"serving {url}", err=True))
