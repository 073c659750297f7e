"""The DuckDB connector on a real database file: names, reads, atomic writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from lookalike.errors import ConfigError, ReadError
from lookalike.io.duckdb import DuckDBConnector, Identifier, TableName, split_name

from .conftest import catalog_types, table_names

CLAIMS = TableName("lab", "DATA", "CLAIM_DATA")


def test_names_split_on_dots_outside_quotes() -> None:
    assert split_name('db."My.Schema"."say ""hi"""') == [
        Identifier("db", False), Identifier("My.Schema", True), Identifier('say "hi"', True)]
    with pytest.raises(ConfigError, match=r"table name 'a.b.c.d' is not of the form"):
        split_name("a.b.c.d")
    with pytest.raises(ConfigError, match="unclosed double quote"):
        split_name('a."b')


def test_unquoted_names_match_any_case_and_quoted_names_keep_theirs(lab: Path) -> None:
    with DuckDBConnector(f"duckdb:///{lab}") as db:
        assert db.find_table("LAB.data.claim_data") == CLAIMS
        assert db.find_table('"lab"."DATA"."CLAIM_DATA"') == CLAIMS
        assert db.find_table('lab.DATA."claim_data"') is None
        assert db.find_table("data.claim_data") == CLAIMS  # in the current database
        assert db.find_table("CLAIM_DATA") is None  # not in the current schema, main
        assert db.new_table_name("Lab.data.Out") == TableName("lab", "DATA", "Out")
        assert db.new_table_name("lab.nope.Out") is None


def test_a_missing_database_file_is_an_error_not_a_new_database(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no DuckDB database at"):
        DuckDBConnector(f"duckdb:///{tmp_path}/missing.duckdb")
    assert not (tmp_path / "missing.duckdb").exists()
    with pytest.raises(ConfigError, match="unsupported database URL"):
        DuckDBConnector("postgresql://host/db")


def test_a_given_connection_is_left_open(lab: Path) -> None:
    con = duckdb.connect(str(lab))
    with DuckDBConnector(con) as db:
        assert db.read_table(CLAIMS).num_rows == 1000
    assert con.execute("SELECT 1").fetchall() == [(1,)]
    con.close()


def test_write_keeps_the_types_of_the_source_and_replaces_the_output(lab: Path) -> None:
    output = TableName("lab", "DATA", "COPY")
    with DuckDBConnector(lab) as db:
        source = db.read_table(CLAIMS)
        assert db.write_table(source.to_batches(100), output, like=CLAIMS) == 1000
        assert db.write_table(source.slice(0, 10).to_batches(), output, like=CLAIMS) == 10
    assert catalog_types(lab, "DATA", "COPY") == catalog_types(lab, "DATA", "CLAIM_DATA")


def failing_batches(table: pa.Table) -> Iterator[pa.RecordBatch]:
    yield from table.slice(0, 100).to_batches()
    raise RuntimeError("the generator broke mid-way")


def test_a_failed_write_keeps_the_old_output_and_leaves_no_staging_table(lab: Path) -> None:
    output = TableName("lab", "DATA", "COPY")
    with DuckDBConnector(lab) as db:
        source = db.read_table(CLAIMS)
        db.write_table(source.slice(0, 30).to_batches(), output, like=CLAIMS)
        with pytest.raises(RuntimeError, match="mid-way"):
            db.write_table(failing_batches(source), output, like=CLAIMS)
        assert db.read_table(output).equals(source.slice(0, 30))
    assert table_names(lab) == ["CLAIM_DATA", "COPY", "CUSTOMER_DATA"]


def test_a_failed_first_write_creates_nothing(lab: Path) -> None:
    with DuckDBConnector(lab) as db, pytest.raises(RuntimeError):
        db.write_table(failing_batches(db.read_table(CLAIMS)),
                       TableName("lab", "DATA", "NEW"), like=CLAIMS)
    assert table_names(lab) == ["CLAIM_DATA", "CUSTOMER_DATA"]


def test_an_output_keeps_the_primary_key_and_refuses_duplicate_keys(lab: Path) -> None:
    from lookalike import generate_synthetic_data
    from lookalike.io.base import WriteError

    with duckdb.connect(str(lab)) as connection:
        connection.execute('CREATE TABLE "DATA"."KEYED" (id INTEGER PRIMARY KEY, amount DOUBLE '
                           "NOT NULL, kind VARCHAR); INSERT INTO \"DATA\".\"KEYED\" SELECT "
                           "range, range * 1.5, 'k' || (range % 5) FROM range(100)")
    config = {"datasets": [{"input_table": "lab.DATA.KEYED", "output_table": "lab.DATA.OUT"}]}
    with pytest.raises(WriteError, match=r'primary key \(id\) are not unique; declare id '
                                         r'"join_key": true'):
        generate_synthetic_data(config, f"duckdb:///{lab}")
    assert "OUT" not in table_names(lab)
    config["datasets"][0]["columns"] = {"id": {"join_key": True}}
    generate_synthetic_data(config, f"duckdb:///{lab}")
    with duckdb.connect(str(lab)) as connection:
        kinds = connection.execute(
            "SELECT constraint_type, constraint_column_names FROM duckdb_constraints() WHERE "
            "table_name = 'OUT' ORDER BY ALL").fetchall()
    assert kinds == [("NOT NULL", ["amount"]), ("NOT NULL", ["id"]), ("PRIMARY KEY", ["id"])]


def test_a_connector_handed_to_the_procedure_stays_open(lab: Path) -> None:
    from lookalike import generate_synthetic_data
    from tests.procedure.test_generate import LAB_SINGLE_TABLE

    with DuckDBConnector(lab) as db:
        generate_synthetic_data({**LAB_SINGLE_TABLE, "seed": 1}, db)
        assert db.row_count(db.find_table("DATA.CLAIM_DATA_SYNTHETIC")) == 1000  # still open
