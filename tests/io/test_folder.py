"""A folder of CSV/Parquet files behind the same protocol (files have no keys)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from test_contract import EVERY_TYPE, portable_info

from lookalike.io.base import TableWrite
from lookalike.io.connect import connect


def test_a_folder_round_trips_every_type_and_replaces_only_when_asked(tmp_path: Path) -> None:
    with connect(tmp_path / "out") as db:
        name = db.new_table_name("every_type")
        write = TableWrite(name, portable_info(name), lambda: iter(EVERY_TYPE.to_batches(2)))
        db.write_tables([write])
        assert [t.table for t in db.tables()] == ["every_type"]
        assert db.read_table(db.find_table("EVERY_TYPE")).equals(EVERY_TYPE)
        with pytest.raises(Exception, match="already exist"):
            db.write_tables([write])
        db.write_tables([write], replace=True)
        assert db.row_count(name) == 3
        assert sum(b.num_rows for b in db.read_batches(name, batch_rows=2)) == 3
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_a_csv_file_is_a_table(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("id,name\n1,ann\n2,bob\n")
    with connect(tmp_path) as db:
        table = db.find_table("people")
        assert db.describe(table).arrow_schema == pa.schema({"id": pa.int64(),
                                                            "name": pa.string()})
        assert db.read_table(table).num_rows == 2
