"""The OpenAI-compatible backend against a real server process: `lookalike llm serve`, started
on 127.0.0.1 by the test suite, running the embedded model, decoding under response_format."""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys
import time

import duckdb
import pytest

from lookalike.cli import main
from lookalike.llm import ModelNotFoundError, OpenAIBackend, TableSchema, response_json_schema
from lookalike.llm.validate import coerce_row, parse_answer

pytestmark = pytest.mark.slow
START_TIMEOUT = 600  # a first run de-quantises the model


@pytest.fixture(scope="module")
def endpoint():
    pytest.importorskip("transformers", reason="needs the llm extra")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-c", "from lookalike.cli import main; main()", "llm", "serve",
         "--port", str(port)], stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    url = _wait_for_url(process)
    yield url
    process.terminate()
    process.wait(timeout=30)


def _wait_for_url(process: subprocess.Popen) -> str:
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline, seen = time.monotonic() + START_TIMEOUT, []
    while time.monotonic() < deadline:
        if selector.select(timeout=1):
            line = process.stderr.readline()
            seen.append(line)
            if line.startswith("serving "):
                return line.split()[1]
        if process.poll() is not None:
            break
    process.kill()
    pytest.fail("the server did not start:\n" + "".join(seen[-20:]))


SCHEMA = TableSchema.from_dict({"table": "accounts", "columns": [
    {"name": "ID", "type": "INTEGER"}, {"name": "OWNER", "type": "VARCHAR(20)"},
    {"name": "OPENED", "type": "TIMESTAMP"}, {"name": "BALANCE", "type": "DECIMAL(9,2)"},
    {"name": "ACTIVE", "type": "BOOLEAN"},
    {"name": "TIER", "type": "VARCHAR", "values": ["gold", "silver"], "nullable": True}]})


def test_json_schema_answers_are_valid_rows(endpoint):
    backend = OpenAIBackend(endpoint, "local")
    messages = [{"role": "user", "content": "Rows of a bank's accounts table, one JSON object "
                                            "per line:"}]
    answer = backend.complete(messages, json_schema=response_json_schema(SCHEMA, 3), seed=1)
    rows, problem = parse_answer(answer)
    assert problem is None and len(rows) == 3
    assert all(coerce_row(SCHEMA, row)[1] == [] for row in rows), rows


def test_an_unknown_model_is_reported(endpoint):
    with pytest.raises(ModelNotFoundError, match=r"has no model 'gpt-9': The model 'gpt-9' does "
                                                 r"not exist"):
        OpenAIBackend(endpoint, "gpt-9").complete([{"role": "user", "content": "hi"}])


def test_cli_from_a_duckdb_table_to_a_duckdb_table(endpoint, tmp_path, customers_path,
                                                   monkeypatch, capsys):
    database = tmp_path / "lab.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("CREATE SCHEMA DATA")
        connection.execute(f"CREATE TABLE DATA.CUSTOMER_DATA AS SELECT * FROM "
                           f"read_csv('{customers_path}')")
    monkeypatch.setattr(sys, "argv", [
        "lookalike", "llm", "--table", "DATA.CUSTOMER_DATA", "--rows", "6",
        "--database", f"duckdb:///{database}", "--output-table", "DATA.CUSTOMER_FAKE",
        "--endpoint", endpoint, "--model", "local", "--examples", "5", "--seed", "2"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code in (0, None), capsys.readouterr().err
    assert "wrote 6 rows of 9 columns to DATA.CUSTOMER_FAKE" in capsys.readouterr().err
    with duckdb.connect(str(database)) as connection:
        types = {table: connection.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
            "ORDER BY column_index", [table]).fetchall()
            for table in ("CUSTOMER_DATA", "CUSTOMER_FAKE")}
        count = connection.execute("SELECT count(*) FROM DATA.CUSTOMER_FAKE").fetchone()[0]
        leftovers = connection.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name "
                                       "LIKE '%lookalike%'").fetchone()[0]
    assert types["CUSTOMER_FAKE"] == types["CUSTOMER_DATA"]
    assert (count, leftovers) == (6, 0)


def test_cli_from_a_schema_file_to_parquet(endpoint, tmp_path, monkeypatch, capsys):
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(SCHEMA.to_dict()))
    output = tmp_path / "accounts.parquet"
    monkeypatch.setattr(sys, "argv", [
        "lookalike", "llm", "--schema", str(schema_file), "--rows", "5", "--output",
        str(output), "--endpoint", endpoint, "--model", "local", "--seed", "4", "-q"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code in (0, None), capsys.readouterr().err
    import pyarrow.parquet as pq

    table = pq.read_table(output)
    assert table.num_rows == 5 and table.schema.equals(SCHEMA.arrow_schema())
