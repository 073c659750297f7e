"""The `lookalike` command. Each command group lives in its own module and only parses options,
calls one library function, and turns library errors into a clean message and exit code 1."""

from __future__ import annotations

import sys

import typer

from lookalike import __version__
from lookalike.cli import copy, demo, generate, llm, report, synthesize
from lookalike.errors import LookalikeError

app = typer.Typer(
    name="lookalike",
    help="Synthetic tables of the same shape as real ones, with no real person in them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("synthesize")(synthesize.synthesize)
app.command("demo")(demo.demo)
app.command("generate")(generate.generate)
app.add_typer(llm.app, name="llm")
app.command("report")(report.report)
app.command("copy")(copy.copy)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lookalike {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Synthetic tables of the same shape as real ones, with no real person in them."""


def main() -> None:
    try:
        app()
    except LookalikeError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(1)
    except OSError as error:  # a file or folder the command was pointed at: name it, no traceback
        where = f": {error.filename}" if error.filename else ""
        typer.echo(f"error: {error.strerror or error}{where}", err=True)
        sys.exit(1)
    except MemoryError:
        typer.echo("error: out of memory: ask for fewer rows, or lower --rows-scale", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted: nothing was written", err=True)
        sys.exit(130)
