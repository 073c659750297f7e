"""The `lookalike` command: exit codes, exact error texts, files in and out, help everywhere.

Most tests run the real entry point, `lookalike.cli.main`, in this process with its arguments
in sys.argv (so errors go through the same handler as in a shell); a few run the installed
console script in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer

from lookalike import Synthesizer, __version__
from lookalike.cli import app, main
from lookalike.io.files import read_table

SCRIPT = Path(sys.executable).parent / "lookalike"
TOO_FEW = "the table has 4 distinct rows; at least 20 are needed to learn from it without copying"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run(monkeypatch, capsys):
    def invoke(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["lookalike", *map(str, args)])
        with pytest.raises(SystemExit) as exited:
            main()
        captured = capsys.readouterr()
        code = exited.value.code
        return Result(0 if code is None else code, captured.out, captured.err)

    return invoke


@pytest.fixture
def small_csv(tmp_path, claims_path) -> Path:
    path = tmp_path / "small.csv"
    path.write_text("".join(claims_path.read_text().splitlines(keepends=True)[:5]))
    return path


# -- synthesize -------------------------------------------------------------------------------

def test_synthesize_csv_to_parquet(run, tmp_path, claims_path):
    output = tmp_path / "claims.parquet"
    result = run("synthesize", claims_path, output, "--seed", "3")
    assert result.code == 0, result.err
    assert result.err.strip().endswith(f"wrote 1000 synthetic rows of 12 columns to {output}")
    real, synthetic = read_table(claims_path), pq.read_table(output)
    assert synthetic.schema.equals(real.schema)
    assert synthetic.num_rows == real.num_rows


def test_synthesize_parquet_to_csv_round_trip(run, tmp_path, claims_path):
    parquet, csv = tmp_path / "claims.parquet", tmp_path / "again.csv"
    assert run("synthesize", claims_path, parquet, "--seed", "1", "-q").code == 0
    assert run("synthesize", parquet, csv, "--seed", "2", "-q").code == 0
    real, synthetic = read_table(claims_path), read_table(csv)
    assert synthetic.schema.equals(real.schema)
    assert synthetic.num_rows == real.num_rows
    assert csv.read_text().splitlines()[0] == (
        '"' + '","'.join(real.column_names) + '"'
    )


@pytest.mark.parametrize("rows", [0, 1, 2_500])
def test_rows_option(run, tmp_path, claims_path, rows):
    output = tmp_path / "out.parquet"
    assert run("synthesize", claims_path, output, "--rows", rows, "-q").code == 0
    assert pq.read_table(output).num_rows == rows


def test_seed_gives_identical_files_and_another_seed_another(run, tmp_path, claims_path):
    paths = [tmp_path / f"out{i}.csv" for i in range(3)]
    for path, seed in zip(paths, ["5", "5", "6"], strict=True):
        assert run("synthesize", claims_path, path, "--seed", seed, "-q").code == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_save_model_saves_the_model_that_wrote_the_output(run, tmp_path, claims_path):
    output, model = tmp_path / "out.parquet", tmp_path / "claims.lookalike"
    result = run("synthesize", claims_path, output, "--seed", "4", "-n", "300",
                 "--save-model", model, "-q")
    assert result.code == 0
    assert Synthesizer.load(model).sample(300).equals(pq.read_table(output))


def test_quiet_prints_nothing(run, tmp_path, claims_path):
    result = run("synthesize", claims_path, tmp_path / "out.csv", "--quiet")
    assert result.code == 0
    assert result.out == "" and result.err == ""


def test_progress_goes_to_stderr_and_stdout_stays_clean(run, tmp_path, claims_path):
    result = run("synthesize", claims_path, tmp_path / "out.csv")
    assert result.code == 0
    assert result.out == ""


# -- errors: exit code 1 and the exact message ------------------------------------------------

def test_missing_input_file(run, tmp_path):
    missing, output = tmp_path / "missing.csv", tmp_path / "out.csv"
    result = run("synthesize", missing, output)
    assert (result.code, result.err) == (1, f"error: {missing}: no such file\n")
    assert not output.exists()


@pytest.mark.parametrize("which", ["input", "output"])
def test_bad_extension(run, tmp_path, claims_path, which):
    bad = tmp_path / "table.txt"
    bad.write_text("a,b\n")
    args = (bad, tmp_path / "out.csv") if which == "input" else (claims_path, bad)
    result = run("synthesize", *args)
    assert (result.code, result.err) == (
        1, f"error: {bad}: unknown file type '.txt'; use .csv or .parquet\n")


def test_table_with_too_few_rows(run, tmp_path, small_csv):
    output = tmp_path / "out.csv"
    result = run("synthesize", small_csv, output, "-q")
    assert (result.code, result.err) == (1, f"error: {TOO_FEW}\n")
    assert list(tmp_path.iterdir()) == [small_csv]


def test_malformed_csv(run, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2,3\n")
    result = run("synthesize", bad, tmp_path / "out.csv")
    assert (result.code, result.err) == (
        1, (f"error: {bad}: cannot read it as csv: CSV parse error: Expected 2 columns, got 3: "
           f"1,2,3\n"))


def checksum(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("args, message", [
    (["{input}", "{input}"], "OUTPUT {input} is also INPUT: lookalike never writes over"),
    (["{input}", "{out}", "--save-model", "{input}"], "--save-model {input} is also INPUT"),
    (["{input}", "{out}", "--save-model", "{out}"], "--save-model {out} is also OUTPUT"),
    (["{input}", "{out}", "--save-model", "{tmp}/no/m.lookalike"],
     "--save-model {tmp}/no/m.lookalike: no folder {tmp}/no"),
    (["{input}", "{tmp}/folder.csv"], "{tmp}/folder.csv: is a folder; give a file name"),
])
def test_synthesize_never_writes_over_its_input(run, tmp_path, claims_path, args, message):
    source = tmp_path / "claims.csv"
    source.write_bytes(claims_path.read_bytes())
    (tmp_path / "folder.csv").mkdir()
    before = checksum(source)
    fill = {"input": source, "out": tmp_path / "out.csv", "tmp": tmp_path}
    result = run("synthesize", *(a.format(**fill) for a in args), "-q")
    assert result.code == 1 and result.err.startswith(f"error: {message.format(**fill)}")
    assert checksum(source) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.csv", "folder.csv"]


def test_duplicate_column_names_are_named(run, tmp_path):
    table = tmp_path / "twice.csv"
    table.write_text("amount,amount\n1,2\n")
    result = run("synthesize", table, tmp_path / "out.csv")
    assert (result.code, result.err) == (1, (f"error: {table}: column 'amount' appears more "
                                            f"than once; every column needs its own name\n"))


def test_a_folder_as_input_is_named(run, tmp_path):
    folder = tmp_path / "data.csv"
    folder.mkdir()
    result = run("synthesize", folder, tmp_path / "out.csv")
    assert (result.code, result.err) == (1, f"error: {folder}: is a folder, not a csv file\n")


# -- usage errors: exit code 2 ----------------------------------------------------------------

@pytest.mark.parametrize("args, phrase", [
    (["synthesize"], "Missing argument"),
    (["synthesize", "in.csv"], "Missing argument"),
    (["synthesize", "in.csv", "out.csv", "--rows", "-1"], "Invalid value for '--rows'"),
    (["synthesize", "in.csv", "out.csv", "--rows", "many"], "Invalid value for '--rows'"),
    (["synthesize", "in.csv", "out.csv", "--seed", "1.5"], "Invalid value for '--seed'"),
    (["synthesize", "in.csv", "out.csv", "--seed", "-1"], "Invalid value for '--seed'"),
    (["report", "--real", "a.csv", "--synthetic", "b.csv", "-o", "r.html", "--seed", "-1"],
     "Invalid value for '--seed'"),
    (["synthesize", "in.csv", "out.csv", "--bogus"], "No such option: --bogus"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["demo", "extra"], "Got unexpected extra argument"),
])
def test_usage_errors(run, args, phrase):
    result = run(*args)
    assert result.code == 2
    assert phrase in " ".join(result.err.replace("│", " ").split())


def test_no_arguments_shows_help(run):
    result = run()
    assert result.code == 2
    assert "synthesize" in result.out and "demo" in result.out


# -- help -------------------------------------------------------------------------------------

COMMANDS = sorted(typer.main.get_command(app).commands)


def test_the_documented_commands_exist():
    assert {"demo", "synthesize"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_and_option_has_help(name):
    command = typer.main.get_command(app).commands[name]
    assert (command.help or "").strip(), f"{name} has no help"
    for parameter in command.params:  # options and arguments alike
        assert (getattr(parameter, "help", None) or "").strip(), f"{name} {parameter.name}"


@pytest.mark.parametrize("name", COMMANDS)
def test_help_of_every_command(run, name):
    command = typer.main.get_command(app).commands[name]
    result = run(name, "--help")
    assert result.code == 0
    first_line = command.help.strip().splitlines()[0]
    assert " ".join(first_line.split()[:4]) in " ".join(result.out.replace("│", " ").split())


def test_root_help_lists_every_command(run):
    result = run("--help")
    assert result.code == 0
    assert all(name in result.out for name in COMMANDS)


def test_version(run):
    assert run("--version") == Result(0, f"lookalike {__version__}\n", "")


# -- demo -------------------------------------------------------------------------------------

def test_demo_refuses_bad_padding(run):
    result = run("demo", "--padding", "1,x")
    assert result == Result(1, "", "error: --padding '1,x': give whole numbers >= 1, e.g. 1,2,5\n")


def test_demo_help_explains_its_options(run):
    result = run("demo", "--help")
    assert result.code == 0
    for option in ("--database", "--output", "--skip-llm", "--seeds", "--padding", "--fast"):
        assert option in result.out


# -- the installed console script -------------------------------------------------------------

def _script(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)


def test_console_script_reports_errors_with_exit_code_1(tmp_path):
    completed = _script("synthesize", "missing.csv", "out.parquet", cwd=tmp_path)
    assert (completed.returncode, completed.stderr) == (1, "error: missing.csv: no such file\n")


def test_console_script_usage_error_exit_code_2(tmp_path):
    completed = _script("synthesize", "--rows", "x", cwd=tmp_path)
    assert completed.returncode == 2
    assert "Usage: lookalike synthesize" in completed.stderr


def test_console_script_synthesizes(tmp_path, claims_path):
    completed = _script("synthesize", str(claims_path), "out.csv", "-n", "50", "--seed", "1",
                        "-q", cwd=tmp_path)
    assert (completed.returncode, completed.stderr) == (0, "")
    assert read_table(tmp_path / "out.csv").num_rows == 50
    assert pa.types.is_date32(read_table(tmp_path / "out.csv").schema.field(
        "INCIDENT_DATE").type)
