"""Real database servers for tests: a fresh PostgreSQL and MariaDB database per test session
(lookalike_test_<random>, dropped at the end), never a mock. The servers run on this machine and
in CI (PostgreSQL on 127.0.0.1:5432 as postgres, MariaDB on 127.0.0.1:3306 as root)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG = os.environ.get("LOOKALIKE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
MY = os.environ.get("LOOKALIKE_TEST_MYSQL", "mysql://root@127.0.0.1:3306")


def _unavailable(message: str) -> None:
    """Skip on a developer's machine without the server; fail in CI, where it always runs, so
    that a missing server never hides the tests that need it."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def postgres_database(prefix: str = "lookalike_test") -> Iterator[str]:
    import psycopg  # a test dependency
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(f"{PG}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        _unavailable(f"no PostgreSQL server at {PG}: {error}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG}/{name}"
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def mysql_database(prefix: str = "lookalike_test") -> Iterator[str]:
    import pymysql  # a test dependency
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    host_port = MY.split("@")[-1]
    host, port = host_port.split(":")
    try:
        admin = pymysql.connect(host=host, port=int(port), user="root", autocommit=True,
                                connect_timeout=5)
    except pymysql.MySQLError as error:
        _unavailable(f"no MariaDB/MySQL server at {MY}: {error}")
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
    try:
        yield f"{MY}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()
