"""CSV and Parquet files: reading, atomic writing, and the errors (exact texts)."""

from __future__ import annotations

import datetime as dt
import os
import stat
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lookalike.errors import InvalidOptionError, ReadError
from lookalike.io.files import file_format, read_table, write_table


@pytest.fixture
def table() -> pa.Table:
    return pa.table({
        "id": pa.array([1, 2, 3], pa.int64()),
        "name": ["a", "b", None],
        "amount": pa.array([Decimal("1.50"), Decimal("2.25"), None], pa.decimal128(8, 2)),
        "day": [dt.date(2024, 1, 1), dt.date(2024, 2, 29), None],
        "at": pa.array([0, 10**6, None], pa.timestamp("us", tz="Europe/London")),
        "flag": [True, False, None],
    })


@pytest.mark.parametrize("name, expected", [
    ("t.csv", ".csv"), ("t.CSV", ".csv"), ("t.parquet", ".parquet"), ("t.pq", ".parquet"),
    ("dir.v2/t.Parquet", ".parquet"),
])
def test_file_format(name, expected):
    assert file_format(Path(name)) == expected


@pytest.mark.parametrize("name, message", [
    ("t.txt", "t.txt: unknown file type '.txt'; use .csv or .parquet"),
    ("t.csv.gz", "t.csv.gz: unknown file type '.gz'; use .csv or .parquet"),
    ("table", "table: unknown file type '(none)'; use .csv or .parquet"),
])
def test_unknown_file_types(name, message):
    with pytest.raises(InvalidOptionError) as caught:
        file_format(Path(name))
    assert str(caught.value) == message


def test_parquet_round_trip_keeps_types_and_values(table, tmp_path):
    path = tmp_path / "out.parquet"
    assert write_table(table.to_batches(), table.schema, path) == 3
    assert read_table(path).equals(table)
    assert read_table(str(path)).equals(table)


def test_csv_round_trip_infers_types(tmp_path):
    path = tmp_path / "out.csv"
    table = pa.table({"n": [1, 2, None], "x": [0.5, None, 2.0], "s": ["a", None, "c"],
                      "d": [dt.date(2024, 1, 2), None, dt.date(2024, 3, 4)],
                      "b": [True, None, False]})
    assert write_table(table.to_batches(), table.schema, path) == 3
    read = read_table(path)
    assert read.schema == table.schema
    assert read.to_pylist() == table.to_pylist()


def test_the_shipped_insurance_csv_reads_with_useful_types(claims_path):
    table = read_table(claims_path)
    assert table.num_rows == 1_000
    assert table.schema.field("INCIDENT_DATE").type == pa.date32()
    assert table.schema.field("CLAIM_AMOUNT").type == pa.int64()
    assert table.schema.field("FRAUD_REPORTED").type == pa.bool_()
    assert table.schema.field("INCIDENT_TYPE").type == pa.string()


def test_write_streams_batches_and_counts_rows(table, tmp_path):
    batches = [table.slice(0, 2).to_batches()[0], table.slice(2).to_batches()[0]]
    path = tmp_path / "nested" / "folder" / "out.parquet"
    assert write_table(iter(batches), table.schema, path) == 3
    assert pq.read_table(path).equals(table)


def test_write_of_no_batches_writes_an_empty_table(table, tmp_path):
    path = tmp_path / "empty.csv"
    assert write_table([], table.schema, path) == 0
    assert path.read_text().splitlines() == ['"id","name","amount","day","at","flag"']


def test_a_failed_write_leaves_nothing_behind(table, tmp_path):
    path = tmp_path / "out.parquet"

    def failing_batches():
        yield table.to_batches()[0]
        raise RuntimeError("generation failed")

    with pytest.raises(RuntimeError, match="generation failed"):
        write_table(failing_batches(), table.schema, path)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_previous_output(table, tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("previous\n")

    def failing_batches():
        raise KeyboardInterrupt
        yield  # pragma: no cover

    with pytest.raises(KeyboardInterrupt):
        write_table(failing_batches(), table.schema, path)
    assert path.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_written_files_get_the_usual_permissions(table, tmp_path):
    """As `open()` would create them (0o666 less the umask), not private to the owner."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "out.parquet"
        write_table(table.to_batches(), table.schema, path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_write_checks_the_file_type_first(table, tmp_path):
    with pytest.raises(InvalidOptionError) as caught:
        write_table(table.to_batches(), table.schema, tmp_path / "out.json")
    assert str(caught.value) == (
        f"{tmp_path / 'out.json'}: unknown file type '.json'; use .csv or .parquet")
    assert list(tmp_path.iterdir()) == []


def test_read_of_a_missing_file(tmp_path):
    with pytest.raises(ReadError) as caught:
        read_table(tmp_path / "missing.csv")
    assert str(caught.value) == f"{tmp_path / 'missing.csv'}: no such file"


def test_read_of_a_folder(tmp_path):
    folder = tmp_path / "data.parquet"
    folder.mkdir()
    with pytest.raises(ReadError) as caught:
        read_table(folder)
    assert str(caught.value) == f"{folder}: is a folder, not a parquet file"


@pytest.mark.parametrize("name, content, message", [
    ("bad.csv", "a,b\n1,2,3\n",
     "cannot read it as csv: CSV parse error: Expected 2 columns, got 3: 1,2,3"),
    ("empty.csv", "", "cannot read it as csv: Empty CSV file"),
])
def test_read_of_a_malformed_csv(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ReadError) as caught:
        read_table(path)
    assert str(caught.value) == f"{path}: {message}"


def test_read_of_a_file_that_is_not_parquet(tmp_path):
    path = tmp_path / "fake.parquet"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ReadError) as caught:
        read_table(path)
    assert str(caught.value).startswith(f"{path}: cannot read it as parquet: ")


def test_read_errors_are_os_errors(tmp_path):
    with pytest.raises(OSError):
        read_table(tmp_path / "missing.parquet")


def test_empty_csv_fields_are_null_in_every_column(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("email,age\nann@example.com,31\n,\nbob@example.com,\n")
    table = read_table(path)
    assert table.column("email").to_pylist() == ["ann@example.com", None, "bob@example.com"]
    assert table.column("age").to_pylist() == [31, None, None]
