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
