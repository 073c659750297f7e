"""A PostgreSQL source database holding the shop schema (shop.sql), built once per session."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "lookalike_test_servers", Path(__file__).parent.parent / "io" / "servers.py")
servers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(servers)

SHOP = Path(__file__).with_name("shop.sql")


@pytest.fixture(scope="session")
def shop_url() -> Iterator[str]:
    import psycopg
    with servers.postgres_database("lookalike_test_shop") as url:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(SHOP.read_text())
        yield url


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    with servers.postgres_database("lookalike_test_target") as url:
        yield url


@pytest.fixture
def other_postgres() -> Iterator[str]:
    """A second empty database, for a source a test builds itself."""
    with servers.postgres_database("lookalike_test_source") as url:
        yield url


MYSQL_SHOP = """
CREATE TABLE customers (id int AUTO_INCREMENT PRIMARY KEY, name varchar(40) NOT NULL,
  vip tinyint(1) NOT NULL, tier enum('bronze', 'silver', 'gold') NOT NULL,
  joined datetime NOT NULL, balance decimal(10,2));
CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, customer_id int NOT NULL,
  placed datetime NOT NULL, total decimal(12,2) NOT NULL,
  status enum('new', 'paid', 'shipped') NOT NULL,
  CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id));
CREATE TABLE order_lines (order_id int NOT NULL, line smallint NOT NULL, sku varchar(12),
  quantity int NOT NULL, gift tinyint(1), PRIMARY KEY (order_id, line),
  CONSTRAINT lines_order FOREIGN KEY (order_id) REFERENCES orders (id));
CREATE TABLE returns (id int AUTO_INCREMENT PRIMARY KEY, order_id int NOT NULL,
  line smallint NOT NULL, reason varchar(20),
  CONSTRAINT returns_line FOREIGN KEY (order_id, line) REFERENCES order_lines (order_id, line));
"""


def _mysql_rows(rng) -> dict[str, list[tuple]]:
    """Customers, their orders, order lines and a few returned lines, deterministic."""
    import datetime as dt
    from decimal import Decimal
    start = dt.datetime(2021, 1, 1)
    customers = [(i, f"customer {i}", int(rng.random() < 0.2), rng.choice(
        ["bronze", "bronze", "silver", "gold"]), start + dt.timedelta(hours=rng.randint(0, 9000)),
        None if i % 9 == 0 else Decimal(rng.randint(0, 500000)) / 100) for i in range(1, 301)]
    orders, lines, returns = [], [], []
    for order in range(1, 1201):
        customer = customers[rng.randrange(len(customers))]
        placed = customer[4] + dt.timedelta(hours=rng.randint(1, 4000))
        orders.append((order, customer[0], placed, Decimal(rng.randint(500, 90000)) / 100,
                       rng.choice(["new", "paid", "shipped"])))
        for line in range(1, rng.randint(1, 3) + 1):
            lines.append((order, line, f"SKU-{rng.randint(100, 999)}", rng.randint(1, 5),
                          None if line == 3 else int(rng.random() < 0.1)))
            if orders[-1][4] == "shipped" and rng.random() < 0.3:
                returns.append((order, line, rng.choice(["broken", "late", "wrong size"])))
    return {"customers": customers, "orders": orders, "order_lines": lines,
            "returns": returns}


@pytest.fixture(scope="session")
def mysql_shop_url() -> Iterator[str]:
    """A MariaDB/MySQL database of 4 tables with a composite foreign key, dropped afterwards."""
    import random

    import pymysql
    with servers.mysql_database("lookalike_test_shop") as url:
        host, port = url.split("@")[1].split("/")[0].split(":")
        connection = pymysql.connect(host=host, port=int(port), user="root",
                                     database=url.rsplit("/", 1)[1], autocommit=True)
        with connection, connection.cursor() as cursor:
            for statement in filter(str.strip, MYSQL_SHOP.split(";")):
                cursor.execute(statement)
            for table, rows in _mysql_rows(random.Random(0)).items():
                marks = ", ".join(["%s"] * len(rows[0]))
                columns = "(order_id, line, reason)" if table == "returns" else ""
                cursor.executemany(f"INSERT INTO {table} {columns} VALUES ({marks})", rows)
        yield url
