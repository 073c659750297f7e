"""`lookalike copy` from a MariaDB/MySQL database into a new DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
from typer.testing import CliRunner

from lookalike.cli import app

REAL_ROWS = {"customers": 300, "orders": 1200}


def test_copy_mysql_to_duckdb_keeps_keys_and_types(mysql_shop_url: str, tmp_path: Path) -> None:
    target = tmp_path / "shop_dev.duckdb"
    result = CliRunner().invoke(app, ["copy", "--from", mysql_shop_url, "--to",
                                      f"duckdb:///{target}", "--seed", "1"])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(target)) as connection:
        count = {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("customers", "orders", "order_lines", "returns")}
        assert count["customers"] == REAL_ROWS["customers"]  # a table without a parent
        assert all(rows > 50 for rows in count.values()), count
        kinds = dict(connection.execute(
            "SELECT constraint_type, count(*) FROM duckdb_constraints() WHERE constraint_type "
            "IN ('PRIMARY KEY', 'FOREIGN KEY') GROUP BY 1").fetchall())
        assert kinds == {"PRIMARY KEY": 4, "FOREIGN KEY": 3}
        orphans = connection.execute(
            "SELECT (SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id "
            "WHERE c.id IS NULL) + (SELECT count(*) FROM returns r LEFT JOIN order_lines l ON "
            "l.order_id = r.order_id AND l.line = r.line WHERE l.order_id IS NULL)").fetchone()[0]
        assert orphans == 0
        types = dict(connection.execute(
            "SELECT table_name || '.' || column_name, data_type FROM duckdb_columns() "
            "WHERE table_name IN ('customers', 'orders', 'order_lines')").fetchall())
    assert types["customers.vip"] == "BOOLEAN" and types["order_lines.gift"] == "BOOLEAN"
    assert types["customers.balance"] == "DECIMAL(10,2)"
    assert types["orders.total"] == "DECIMAL(12,2)"
    assert types["customers.joined"] == "TIMESTAMP"
    assert types["customers.tier"] == "ENUM('bronze', 'silver', 'gold')"
    assert types["orders.status"] == "ENUM('new', 'paid', 'shipped')"
    assert types["order_lines.line"] == "SMALLINT"
