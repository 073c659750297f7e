"""`lookalike copy` of a 10-table PostgreSQL schema (shop.sql) into PostgreSQL and DuckDB."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import psycopg
import pytest
from typer.testing import CliRunner

from lookalike.cli import app
from lookalike.copy import copy_database
from lookalike.errors import ConfigError, InvalidDataError
from lookalike.report import ReportDependencyError

ROOTS = {"customers": 800, "products": 150, "departments": 40}
CHILDREN = ("employees", "orders", "order_items", "shipments", "payments", "notes")

# shipments reference order items by (order_id, line): none without its item, and some of
# each order's items shipped, as in the source
SHIPPED_ITEMS = (
    "SELECT count(*) FILTER (WHERE i.order_id IS NULL), count(*) > 100 FROM shipments s "
    "LEFT JOIN order_items i ON i.order_id = s.order_id AND i.line = s.line")


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        tables = [r[0] for r in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for t in tables}


def test_copy_postgres_to_postgres_keeps_every_constraint(shop_url: str, empty_postgres: str,
                                                          tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [
        "copy", "--from", shop_url, "--to", empty_postgres, "--rows-scale", "0.5",
        "--verbatim", "regions", "--seed", "3", "--report", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = counts(empty_postgres)
    for table, rows in ROOTS.items():
        assert written[table] == rows // 2
    assert written["regions"] == 4
    assert all(written[t] > 0 for t in CHILDREN)
    with psycopg.connect(empty_postgres) as connection:
        constraints = connection.execute(
            "SELECT contype, count(*) FROM pg_constraint WHERE connamespace = "
            "'public'::regnamespace AND contype IN ('p', 'u', 'f') GROUP BY contype").fetchall()
        assert dict(constraints) == {"p": 10, "u": 4, "f": 12}  # as in the source
        assert connection.execute("SELECT bool_and(convalidated) FROM pg_constraint WHERE "
                                  "connamespace = 'public'::regnamespace").fetchone()[0]
        assert connection.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'shipments'::regclass AND "
            "contype = 'f' AND cardinality(conkey) = 2").fetchone()[0] == 1
        assert connection.execute(SHIPPED_ITEMS).fetchone() == (0, True)
        types = dict(connection.execute(
            "SELECT column_name, format_type(atttypid, atttypmod) FROM information_schema"
            ".columns c JOIN pg_attribute a ON a.attrelid = 'employees'::regclass AND "
            "a.attname = c.column_name WHERE c.table_name = 'employees'").fetchall())
        assert types["grade"] == "level" and types["salary"] == "numeric(10,2)"
        assert types["hired"] == "timestamp with time zone"
        # identities continue past the largest generated value
        new_id = connection.execute(
            "INSERT INTO orders (customer_id, ordered_at, state) SELECT id, now(), 'new' "
            "FROM customers LIMIT 1 RETURNING id").fetchone()[0]
        assert new_id > connection.execute("SELECT max(id) FROM orders WHERE id <> %s",
                                           [new_id]).fetchone()[0]
        real_keys = {r[0] for r in psycopg.connect(shop_url).execute(
            "SELECT id FROM customers").fetchall()}
        copied_keys = {r[0] for r in connection.execute("SELECT id FROM customers")}
        assert not real_keys & copied_keys
    report = json.loads((tmp_path / "report.json").read_text())
    assert set(report["seconds"]) == {"catalog", "read", "fit", "sample", "write", "report"}
    pages = {t["table"]: t["report"] for t in report["tables"]}
    assert pages["public.regions"] is None  # copied as it is: nothing to compare
    assert pages["public.notes"] is None  # keys and free text only: nothing to compare
    assert all(pages[f"public.{t}"] == f"public.{t}.html" for t in [*ROOTS, *CHILDREN]
               if t != "notes")
    assert all((tmp_path / page).is_file() for page in pages.values() if page)
    index = (tmp_path / "index.html").read_text()
    assert "<a href='public.shipments.html'>public.shipments</a>" in index
    html = (tmp_path / "public.employees.html").read_text()
    assert "<title>Quality report: public.employees</title>" in html
    assert 'id="salary"' in html or "salary" in html
    assert "public.employees.manager_id -> public.employees.id" in report[
        "deferred_foreign_keys"]


def test_copy_postgres_to_duckdb(shop_url: str, tmp_path: Path) -> None:
    target = tmp_path / "shop.duckdb"
    with pytest.warns(UserWarning, match="is not declared"):
        report = copy_database(shop_url, f"duckdb:///{target}", verbatim=["regions"], seed=5,
                               exclude=["notes"])
    written = {t.table: t.synthetic_rows for t in report.tables}
    assert written["public.customers"] == 800
    # repeated (order_id, line) pairs are renumbered, not dropped: about as many lines as real
    assert written["public.order_items"] > 0.9 * 6000
    with duckdb.connect(str(target)) as connection:
        kinds = connection.execute(
            "SELECT constraint_type, count(*) FROM duckdb_constraints() WHERE constraint_type "
            "<> 'NOT NULL' AND constraint_type <> 'CHECK' GROUP BY 1").fetchall()
        # every key but the one closing the departments cycle: the employees self-reference
        # is declared, its rows loaded level by level
        assert dict(kinds) == {"PRIMARY KEY": 9, "UNIQUE": 4, "FOREIGN KEY": 10}
        types = dict(connection.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'orders'"
        ).fetchall())
        assert types["state"].startswith("ENUM(") and types["ordered_at"] == \
            "TIMESTAMP WITH TIME ZONE"
        assert connection.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'shipments' AND "
            "constraint_type = 'FOREIGN KEY' AND len(constraint_column_names) = 2"
        ).fetchone()[0] == 1
        assert connection.execute(SHIPPED_ITEMS).fetchone() == (0, True)
        orphans = connection.execute(
            "SELECT count(*) FROM employees e LEFT JOIN employees m ON m.id = e.manager_id "
            "WHERE e.manager_id IS NOT NULL AND m.id IS NULL").fetchone()[0]
        assert orphans == 0
        assert connection.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'employees' AND "
            "constraint_type = 'FOREIGN KEY'").fetchone()[0] >= 1


def test_copy_into_a_folder_of_files(shop_url: str, tmp_path: Path) -> None:
    """A folder target: one Parquet file per table, keys still joining (files declare none)."""
    target = tmp_path / "shop"
    copy_database(shop_url, str(target), verbatim=["regions"], seed=5, exclude=["notes"])
    assert {p.name for p in target.iterdir()} == {
        f"{t}.parquet" for t in ("regions", "customers", "products", "departments", "employees",
                                 "orders", "order_items", "shipments", "payments")}
    orphans = duckdb.sql(
        f"SELECT count(*) FROM '{target}/orders.parquet' o ANTI JOIN "
        f"'{target}/customers.parquet' c ON c.id = o.customer_id").fetchall()[0][0]
    assert orphans == 0


def test_copy_refuses_the_source_a_non_empty_target_and_tiny_tables(
        shop_url: str, empty_postgres: str) -> None:
    with pytest.raises(ConfigError, match="is the source database"):
        copy_database(shop_url, shop_url)
    with pytest.raises(InvalidDataError, match="--verbatim regions"):
        copy_database(shop_url, empty_postgres)
    with psycopg.connect(empty_postgres, autocommit=True) as connection:
        connection.execute("CREATE TABLE customers (id int)")
    with pytest.raises(ConfigError, match="is not empty .*--replace"):
        copy_database(shop_url, empty_postgres, verbatim=["regions"])
    with pytest.raises(ConfigError, match="references regions, which is not copied"):
        copy_database(shop_url, empty_postgres, exclude=["regions"], replace=True)
    for scale in (float("inf"), 1e30, 0.0, float("nan")):
        with pytest.raises(ConfigError, match="--rows-scale must be above 0 and at most 1e"):
            copy_database(shop_url, empty_postgres, verbatim=["regions"], replace=True,
                          rows_scale=scale)
    assert counts(empty_postgres) == {"customers": 0}  # the target is as it was


def test_a_failed_copy_leaves_the_target_as_it_was(shop_url: str, empty_postgres: str) -> None:
    with psycopg.connect(empty_postgres, autocommit=True) as connection:
        connection.execute("CREATE TABLE customers (id int); INSERT INTO customers VALUES (1)")
        # fail late: when the foreign keys are added, after every table is loaded
        connection.execute("CREATE FUNCTION no() RETURNS event_trigger LANGUAGE plpgsql AS "
                           "$$ BEGIN RAISE EXCEPTION 'blocked'; END $$; "
                           "CREATE EVENT TRIGGER stop ON ddl_command_end WHEN TAG IN "
                           "('ALTER TABLE') EXECUTE FUNCTION no()")
    try:
        with pytest.raises(Exception, match="nothing was written: blocked"):
            copy_database(shop_url, empty_postgres, verbatim=["regions"], replace=True)
        assert counts(empty_postgres) == {"customers": 1}
    finally:
        with psycopg.connect(empty_postgres, autocommit=True) as connection:
            connection.execute("DROP EVENT TRIGGER stop")


def test_a_report_that_fails_after_the_copy_keeps_the_copy(shop_url: str,
                                                            tmp_path: Path) -> None:
    target = tmp_path / "copy.duckdb"
    blocked = tmp_path / "reports"
    blocked.write_text("a file where the report folder should go")
    with pytest.raises(OSError):
        copy_database(shop_url, f"duckdb:///{target}", tables=["products", "regions"],
                      verbatim=["regions"], seed=1, report=blocked)
    assert target.is_file()  # the committed copy stays
    import duckdb
    with duckdb.connect(str(target), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM products").fetchone()[0] == 150


def test_views_are_skipped_or_materialised_as_plain_tables(shop_url: str,
                                                           empty_postgres: str) -> None:
    with pytest.raises(ConfigError, match="order_totals is a view: pass --views materialise"):
        copy_database(shop_url, empty_postgres, tables=["orders", "order_totals"])
    report = copy_database(shop_url, empty_postgres, tables=["products", "order_totals"],
                           views="materialise", seed=2)
    assert {t.table: t.mode for t in report.tables}["public.order_totals"] == "view"
    with psycopg.connect(empty_postgres) as connection:
        assert connection.execute("SELECT relkind FROM pg_class WHERE relname = "
                                  "'order_totals'").fetchone()[0] == "r"
        assert connection.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = "
                                  "'order_totals'::regclass").fetchone()[0] == 0
        assert connection.execute("SELECT count(*) FROM order_totals").fetchone()[0] == 3000
        types = dict(connection.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid "
            "= 'order_totals'::regclass AND attnum > 0").fetchall())
        assert types == {"order_id": "integer", "state": "status", "items": "bigint",
                         "quantity": "bigint"}
    with pytest.raises(ConfigError, match="--views must be skip or materialise, not 'keep'"):
        copy_database(shop_url, empty_postgres, views="keep")


def test_a_report_without_its_extra_fails_before_anything_is_written(
        shop_url: str, empty_postgres: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # as if the report extra were missing
    with pytest.raises(ReportDependencyError, match=r"pip install 'lookalike\[report\]'"):
        copy_database(shop_url, empty_postgres, verbatim=["regions"], report=tmp_path)
    assert counts(empty_postgres) == {}
    assert list(tmp_path.iterdir()) == []


TREES = """
CREATE TABLE kinds (family text, code int, PRIMARY KEY (family, code));
INSERT INTO kinds VALUES ('leaf', 1), ('leaf', 2), ('root', 1);
CREATE TABLE nodes (tree int, n int, parent_n int, family text, code int, PRIMARY KEY (tree, n),
  FOREIGN KEY (tree, parent_n) REFERENCES nodes (tree, n),
  FOREIGN KEY (family, code) REFERENCES kinds (family, code));
INSERT INTO nodes SELECT i / 10, i % 10, CASE WHEN i % 10 > 0 THEN i % 10 - 1 END,
  CASE WHEN i % 10 = 0 THEN 'root' ELSE 'leaf' END, 1 + (i % 10 > 5)::int
  FROM generate_series(0, 299) i;
"""


def test_composite_self_references_stay_within_their_group(other_postgres: str,
                                                          empty_postgres: str) -> None:
    with psycopg.connect(other_postgres, autocommit=True) as connection:
        connection.execute(TREES)
    report = copy_database(other_postgres, empty_postgres, verbatim=["kinds"], seed=4)
    assert report.deferred == ["public.nodes.(family, code) -> public.kinds.(family, code)",
                               "public.nodes.(tree, parent_n) -> public.nodes.(tree, n)"]
    with psycopg.connect(empty_postgres) as connection:
        assert connection.execute("SELECT bool_and(convalidated), count(*) FROM pg_constraint "
                                  "WHERE contype = 'f'").fetchone() == (True, 2)
        assert connection.execute("SELECT count(*), count(parent_n) > 200 FROM nodes"
                                  ).fetchone() == (300, True)


def test_copy_has_help() -> None:
    result = CliRunner().invoke(app, ["copy", "--help"])
    assert result.exit_code == 0 and "--rows-scale" in result.output and "--views" in result.output
