"""`lookalike llm` errors, without a model: exit code 1 and the exact message."""

from __future__ import annotations

import sys

import pytest

from lookalike.cli import main
from lookalike.llm import MissingExtraError
from lookalike.llm.local import _require_extra


@pytest.fixture
def run(monkeypatch, capsys):
    def invoke(*args):
        monkeypatch.setattr(sys, "argv", ["lookalike", *map(str, args)])
        with pytest.raises(SystemExit) as exited:
            main()
        captured = capsys.readouterr()
        return exited.value.code or 0, captured.out, captured.err
    return invoke


@pytest.mark.parametrize("args, message", [
    (["--schema", "s.json", "--output", "o.csv"], ("error: --rows is required: how many rows to "
                                                  "write\n")),
    (["--schema", "s.json", "--rows", "3"], ("error: nowhere to write: pass --output FILE or "
                                            "--output-table NAME\n")),
    (["--schema", "s.json", "--rows", "3", "-o", "o.csv", "--model", "gpt-x"],
     ("error: model 'gpt-x' needs --endpoint URL; without one, the embedded model "
     "'gemma3-270m' ('local') is used\n")),
    (["--rows", "3", "-o", "o.csv", "--model", "local"],
     ("error: give exactly one source: --schema FILE, --table NAME (with --database) or "
     "--input FILE\n")),
    (["--schema", "missing.json", "--rows", "3", "-o", "o.csv", "--endpoint",
      "http://127.0.0.1:9/v1", "--model", "m"],
     "error: missing.json: cannot read the schema: No such file or directory\n"),
    (["--schema", "s.json", "--rows", "3", "-o", "o.csv", "--endpoint", "http://[::1/v1",
      "--model", "m"], "error: endpoint 'http://[::1/v1' is not a valid URL: Invalid IPv6 URL\n"),
])
def test_errors(run, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run("llm", *args)
    assert (code, err) == (1, message)


def test_help(run):
    code, out, _ = run("llm", "--help")
    assert code == 0 and "--schema" in out and "serve" in out
    code, out, _ = run("llm", "serve", "--help")
    assert code == 0 and "--port" in out


def test_a_missing_extra_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "gguf", None)  # import gguf now raises ImportError
    with pytest.raises(MissingExtraError, match=r"the local model needs the package 'gguf', "
                                                r"which is not installed: install the extra: "
                                                r"pip install 'lookalike\[llm\]'"):
        _require_extra()


def test_the_core_imports_without_the_extra():
    import subprocess

    code = ("import sys, lookalike.llm, lookalike.cli; "
            "print(sorted({'torch', 'transformers', 'gguf'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.stdout == "[]\n", result.stderr  # the heavy packages load only when used


ENDPOINT = ["--endpoint", "http://127.0.0.1:9/v1", "--model", "m"]  # never called: checked first


def test_the_input_file_is_never_the_output(run, tmp_path, claims_path):
    source = tmp_path / "claims.csv"
    source.write_bytes(claims_path.read_bytes())
    code, _, err = run("llm", "--input", source, "--rows", "3", "-o", source, *ENDPOINT)
    assert (code, err) == (1, (f"error: --output {source} is also --input: lookalike never writes "
                              f"over a file it reads or writes in the same run; choose another "
                              f"path\n"))
    assert source.read_bytes() == claims_path.read_bytes()


def test_the_source_table_is_never_the_output_table(run, tmp_path):
    import duckdb

    database = tmp_path / "lab.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("CREATE SCHEMA data; CREATE TABLE data.customers AS "
                           "SELECT range AS id, 'x' || range AS name FROM range(30)")
    code, _, err = run("llm", "--table", "DATA.CUSTOMERS", "--rows", "3", "--database",
                       f"duckdb:///{database}", "--output-table", "data.customers", *ENDPOINT)
    assert code == 1
    assert err.startswith("error: --output-table data.customers is the source table ")
    with duckdb.connect(str(database)) as connection:
        assert connection.execute("SELECT count(*) FROM data.customers").fetchone()[0] == 30
