"""One `db` fixture, parametrized over every engine: the same contract tests run against DuckDB,
PostgreSQL, MariaDB and SQLite. `LOOKALIKE_TEST_ENGINES=postgresql,sqlite pytest` picks some."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lookalike.io.connect import connect

_spec = importlib.util.spec_from_file_location("lookalike_test_servers",
                                               Path(__file__).with_name("servers.py"))
servers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(servers)

ENGINES = tuple(os.environ.get("LOOKALIKE_TEST_ENGINES", "duckdb,postgresql,mysql,sqlite")
                .split(","))


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    with servers.postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    with servers.mysql_database() as url:
        yield url


@pytest.fixture(params=ENGINES)
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    engine = request.param
    if engine == "duckdb":
        import duckdb
        path = tmp_path / "test.duckdb"
        duckdb.connect(str(path)).close()
        yield f"duckdb:///{path}"
    elif engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = request.getfixturevalue(f"{engine}_url")
        yield url
        with connect(url) as db:  # a clean database for the next test
            drop_all(db)


@pytest.fixture
def db(engine_url: str):
    with connect(engine_url) as connector:
        yield connector


def drop_all(db) -> None:
    tables = [t for t in db.tables() if t.schema == db.current()[1]]
    if db.engine == "mysql":
        db.execute("SET foreign_key_checks = 0")
        for table in tables:
            db.execute(f"DROP {'VIEW' if db.is_view(table) else 'TABLE'} "
                       f"{db.sql_name(table)}")
        db.execute("SET foreign_key_checks = 1")
    else:
        for table in tables:
            kind = "VIEW" if db.is_view(table) else "TABLE"
            db.execute(f"DROP {kind} IF EXISTS {db.sql_name(table)} CASCADE")
        db.execute("DROP TYPE IF EXISTS mood")
