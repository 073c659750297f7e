"""The connector contract: the same tests against DuckDB, PostgreSQL, MariaDB and SQLite, on
real databases (see conftest.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pyarrow as pa
import pytest

from lookalike.io.base import (
    STAGING_MARKER,
    Column,
    Connector,
    ForeignKey,
    TableInfo,
    TableName,
    TableWrite,
)

UTC = dt.UTC

EVERY_TYPE = pa.table({
    "flag": pa.array([True, False, None], pa.bool_()),
    "small": pa.array([-32768, 32767, None], pa.int16()),
    "medium": pa.array([-2**31, 2**31 - 1, None], pa.int32()),
    "large": pa.array([-2**63, 2**63 - 1, None], pa.int64()),
    "real": pa.array([1.5, -1e300, None], pa.float64()),
    "money": pa.array([Decimal("1234567890.12"), Decimal("-0.01"), None], pa.decimal128(12, 2)),
    "day": pa.array([dt.date(1970, 1, 1), dt.date(2099, 12, 31), None], pa.date32()),
    "clock": pa.array([dt.time(0, 0), dt.time(23, 59, 59, 999999), None], pa.time64("us")),
    "moment": pa.array([dt.datetime(2000, 2, 29, 12, 0, 0, 123456), dt.datetime(1999, 1, 1),
                        None], pa.timestamp("us")),
    "instant": pa.array([dt.datetime(2020, 1, 1, tzinfo=UTC),
                         dt.datetime(2021, 6, 30, 23, 59, 59, 5, tzinfo=UTC), None],
                        pa.timestamp("us", tz="UTC")),
    "words": pa.array(['a "quoted", comma\nand newline', "", None], pa.string()),
    "code": pa.array(["ÄÖÜ 😀", "x" * 20, None], pa.string()),
    "token": pa.array([str(uuid.UUID(int=1)), str(uuid.UUID(int=2**127)), None], pa.string()),
})


def portable_info(name: TableName) -> TableInfo:
    columns = tuple(Column(f.name, str(f.type), f.type, length=20 if f.name == "code" else None,
                           uuid=f.name == "token") for f in EVERY_TYPE.schema)
    return TableInfo(name, "arrow", columns)


def test_every_engine_speaks_the_protocol(db) -> None:
    assert isinstance(db, Connector)


def test_every_supported_type_round_trips(db) -> None:
    name = db.new_table_name("every_type")
    db.write_tables([TableWrite(name, portable_info(name),
                                lambda: iter(EVERY_TYPE.to_batches(max_chunksize=2)))])
    back = db.read_table(db.find_table("every_type"))
    assert back.num_rows == 3
    got = sorted(back.cast(EVERY_TYPE.schema).to_pylist(), key=repr)
    assert got == sorted(EVERY_TYPE.to_pylist(), key=repr)


def test_varchar_length_is_kept_and_enforced(db) -> None:
    name = db.new_table_name("every_type")
    db.write_tables([TableWrite(name, portable_info(name), lambda: iter([]))])
    columns = dict(db.columns(db.find_table("every_type")))
    if db.engine in ("postgresql", "mysql", "sqlite"):
        assert "20" in columns["code"]


NATIVE = {
    "postgresql": [
        "CREATE TYPE mood AS ENUM ('sad', 'ok')",
        ("CREATE TABLE native (id int2 PRIMARY KEY, price numeric(12,2) NOT NULL, code "
        "varchar(8), u uuid, m mood, ts timestamptz, t time, flag bool, j jsonb)"),
        ("INSERT INTO native VALUES (1, 9.99, 'abc', '00000000-0000-0000-0000-000000000001', "
        "'ok', '2020-01-01 10:00+02', '10:11:12', true, '{\"a\": 1}'), "
        "(2, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"),
    ],
    "mysql": [
        ("CREATE TABLE native (id smallint PRIMARY KEY, price decimal(12,2) NOT NULL, code "
        "varchar(8), flag tinyint(1), m enum('sad','ok'), dt datetime(6), t time(6), j json)"),
        ("INSERT INTO native VALUES (1, 9.99, 'abc', 1, 'ok', '2020-01-01 10:00:00.5', "
        "'10:11:12', '{}'), (2, 0, NULL, NULL, NULL, NULL, NULL, NULL)"),
    ],
    "sqlite": [
        ("CREATE TABLE native (id INTEGER PRIMARY KEY, price DECIMAL(12,2) NOT NULL, code "
        "VARCHAR(8), flag BOOLEAN, d DATE, ts TIMESTAMP)"),
        ("INSERT INTO native VALUES (1, 9.99, 'abc', 1, '2020-01-01', '2020-01-01 10:00:00'), "
        "(2, 0, NULL, NULL, NULL, NULL)"),
    ],
    "duckdb": [
        ("CREATE TABLE native (id SMALLINT PRIMARY KEY, price DECIMAL(12,2) NOT NULL, code "
        "VARCHAR, u UUID, m ENUM('sad', 'ok'), ts TIMESTAMPTZ, flag BOOLEAN)"),
        ("INSERT INTO native VALUES (1, 9.99, 'abc', '00000000-0000-0000-0000-000000000001', "
        "'ok', '2020-01-01 10:00+02', true), (2, 0, NULL, NULL, NULL, NULL, NULL)"),
    ],
}


def test_a_table_written_like_another_keeps_its_types_not_null_and_key(db) -> None:
    for statement in NATIVE[db.engine]:
        db.execute(statement)
    source = db.find_table("native")
    with pytest.warns(UserWarning, match="written as NULL") if db.engine in (
            "postgresql", "mysql") else _nothing():
        data = db.read_table(source)
    output = db.new_table_name("native_out")
    assert db.write_table(data.to_batches(), output, like=source) == 2
    assert db.columns(output) == db.columns(source)
    back = db.read_table(output)
    supported = [c.name for c in db.describe(source).columns if c.supported]
    assert sorted(back.select(supported).to_pylist(), key=repr) == sorted(
        data.select(supported).to_pylist(), key=repr)
    if db.engine != "duckdb":  # DuckDB outputs keep types only (GENERATE's behaviour)
        described = db.describe(output)
        assert described.primary_key == ("id",)
        assert not described.column("price").nullable


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


KEYED = [
    ("CREATE TABLE parent (id integer PRIMARY KEY, code varchar(10) NOT NULL, a integer, "
    "b integer, UNIQUE (code), UNIQUE (a, b))"),
    ("CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id), "
    "note text)"),
]


def test_the_catalog_lists_tables_columns_and_keys(db) -> None:
    for statement in KEYED:
        db.execute(statement)
    schema = db.current()[1]
    assert {t.table for t in db.tables(schema)} >= {"parent", "child"}
    parent, child = db.find_table("parent"), db.find_table("child")
    assert parent.table == "parent" and db.find_table("PARENT") == parent
    described = db.describe(parent)
    assert [c.name for c in described.columns] == ["id", "code", "a", "b"]
    assert described.primary_key == ("id",)
    assert sorted(described.unique) == [("a", "b"), ("code",)]
    assert not described.column("code").nullable and described.column("a").nullable
    assert db.describe(child).foreign_keys[0].columns == ("parent_id",)
    assert db.describe(child).foreign_keys[0].parent == parent
    assert db.describe(child).foreign_keys[0].parent_columns == ("id",)


def test_a_failed_write_leaves_the_old_table_and_no_staging_table(db) -> None:
    for statement in KEYED:
        db.execute(statement)
    parent = db.find_table("parent")
    db.execute("INSERT INTO parent (id, code) VALUES (1, 'one')")
    rows = pa.table({"id": pa.array([7], pa.int32()), "code": ["seven"],
                     "a": pa.array([None], pa.int32()), "b": pa.array([None], pa.int32())})

    def failing():
        yield rows.to_batches()[0]
        raise RuntimeError("the source went away")

    with pytest.raises(RuntimeError, match="went away"):
        db.write_table(failing(), parent, like=parent)
    assert db.read_table(parent).column("code").to_pylist() == ["one"]
    assert not [t for t in db.tables() if STAGING_MARKER in t.table]


def test_a_staging_table_left_by_a_killed_run_goes_with_the_next_write(db) -> None:
    db.execute("CREATE TABLE parent (id integer)")
    parent = db.find_table("parent")
    other = db.new_table_name("parentless")  # another output's staging table stays
    for name in (f"parent{STAGING_MARKER}0123456789ab", f"parentless{STAGING_MARKER}ba9876543210"):
        db.execute(f"CREATE TABLE {db.sql_name(db.new_table_name(name))} (id integer)")
    rows = pa.table({"id": pa.array([7], pa.int32())})
    db.write_table(rows.to_batches(), parent, like=parent)
    staging = sorted(t.table for t in db.tables() if STAGING_MARKER in t.table)
    assert staging == [f"{other.table}{STAGING_MARKER}ba9876543210"]
    db.drop(db.find_table(staging[0]))


def test_write_tables_is_all_or_nothing(db) -> None:
    first, second = db.new_table_name("first_table"), db.new_table_name("second_table")
    info = TableInfo(first, "arrow", (Column("id", "int64", pa.int64(), nullable=False),),
                     primary_key=("id",))

    def failing():
        yield pa.record_batch({"id": pa.array([1, 1], pa.int64())})  # breaks the primary key

    good = TableWrite(first, info, lambda: iter([pa.record_batch({"id": pa.array([1, 2])})]))
    bad = TableWrite(second, info.renamed(second), failing,
                     (ForeignKey(("id",), first, ("id",)),))
    with pytest.raises(Exception):  # noqa: B017 - each engine's driver raises its own error
        db.write_tables([good, bad])
    names = {t.table for t in db.tables()}
    assert "first_table" not in names and "second_table" not in names
    assert not [n for n in names if STAGING_MARKER in n]


def test_an_existing_table_is_replaced_only_when_asked(db) -> None:
    name = db.new_table_name("only")
    info = TableInfo(name, "arrow", (Column("id", "int64", pa.int64()),))
    write = TableWrite(name, info, lambda: iter([pa.record_batch({"id": pa.array([1, 2])})]))
    db.write_tables([write])
    with pytest.raises(Exception, match="already exists"):
        db.write_tables([write])
    db.write_tables([write], replace=True)
    assert db.row_count(db.find_table("only")) == 2


def test_reads_stream_in_batches(db) -> None:
    name = db.new_table_name("many")
    info = TableInfo(name, "arrow", (Column("id", "int64", pa.int64()),))
    db.write_tables([TableWrite(name, info, lambda: iter(
        [pa.record_batch({"id": pa.array(range(2500), pa.int64())})]))])
    batches = list(db.read_batches(db.find_table("many"), batch_rows=1000))
    assert sum(b.num_rows for b in batches) == 2500
    assert max(b.num_rows for b in batches) <= 1000


def test_a_self_reference_loads_whatever_the_row_order(db) -> None:
    """Children may arrive before their parents: the key is declared and holds after the load
    (DuckDB, which checks row by row, gets the rows level by level)."""
    name = db.new_table_name("staff")
    info = TableInfo(name, "arrow", (Column("id", "int64", pa.int64(), nullable=False),
                                     Column("boss", "int64", pa.int64())), primary_key=("id",))
    rows = pa.table({"id": pa.array([1, 2, 3, 4, 5, 6], pa.int64()),
                     "boss": pa.array([3, None, 2, 1, 1, 5], pa.int64())})
    own = ForeignKey(("boss",), name, ("id",))
    db.write_tables([TableWrite(name, info, lambda: iter(rows.to_batches()),
                                late_foreign_keys=(own,))])
    written = db.describe(db.find_table("staff"))
    assert [fk.columns for fk in written.foreign_keys] == [("boss",)]
    assert sorted(db.read_table(written.name).column("id").to_pylist()) == [1, 2, 3, 4, 5, 6]


def test_self_reference_levels_order_rows_after_their_parents() -> None:
    from lookalike.io.duckdb import self_reference_levels

    rows = pa.table({"id": [1, 2, 3, 4], "boss": pa.array([3, None, 2, 1], pa.int64())})
    own = (ForeignKey(("boss",), TableName("d", "s", "t"), ("id",)),)
    assert self_reference_levels(rows, own).tolist() == [2, 0, 1, 3]
    loop = pa.table({"id": [1, 2], "boss": [2, 1]})
    assert self_reference_levels(loop, own) is None
