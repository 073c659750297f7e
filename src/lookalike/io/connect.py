"""`connect(url_or_connection)`: the connector for a URL, a path or an open connection.

| URL | connector |
| --- | --- |
| `postgresql://user@host:5432/db` (`postgres://`, `postgresql+psycopg://`) | PostgresConnector |
| `mysql://root@127.0.0.1:3306/db` (`mariadb://`, `mysql+pymysql://`) | MySQLConnector |
| `sqlite:///path.db` | SQLiteConnector |
| `duckdb:///path.duckdb`, a `.duckdb`/`.db` file path | DuckDBConnector |
| a folder path (`file:///folder` too) | FolderConnector (CSV and Parquet files) |

Drivers are imported only when their engine is used, so a missing optional driver
(`pip install 'lookalike[postgres]'` or `'lookalike[mysql]'`) is an error only for its engine.
"""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path
from typing import Any

import duckdb

from lookalike.errors import ConfigError
from lookalike.io.base import Connector, mask_url, scheme, url_problem

SCHEMES = {
    "postgresql": ("lookalike.io.postgres", "PostgresConnector", "postgres"),
    "postgres": ("lookalike.io.postgres", "PostgresConnector", "postgres"),
    "mysql": ("lookalike.io.mysql", "MySQLConnector", "mysql"),
    "mariadb": ("lookalike.io.mysql", "MySQLConnector", "mysql"),
    "sqlite": ("lookalike.io.sqlite", "SQLiteConnector", None),
    "duckdb": ("lookalike.io.duckdb", "DuckDBConnector", None),
    "file": ("lookalike.io.folder", "FolderConnector", None),
}


def connect(database: Any) -> Connector:
    """A connector for `database`: a URL, a path, an open connection (left open on exit) or a
    connector (used as it is and, like a connection, left open on exit: the caller owns it)."""
    if hasattr(database, "describe") and hasattr(database, "read_batches"):
        return _Borrowed(database)
    if isinstance(database, duckdb.DuckDBPyConnection):
        return _load("duckdb")(database)
    if isinstance(database, sqlite3.Connection):
        return _load("sqlite")(database)
    module = type(database).__module__
    if module.startswith("psycopg"):
        return _load("postgresql")(database)
    if module.startswith("pymysql"):
        return _load("mysql")(database)
    if not isinstance(database, (str, Path)):
        raise ConfigError(f"cannot open a database from a {type(database).__name__}; pass a URL "
                          f"such as postgresql://user@host/db or an open connection")
    text = str(database)
    kind = scheme(text)
    if kind:
        if kind not in SCHEMES:
            raise ConfigError(f"unsupported database URL {mask_url(text)}; use postgresql://, "
                              f"mysql://, sqlite:///, duckdb:/// or a folder path")
        problem = url_problem(text)
        if problem:
            raise ConfigError(f"{mask_url(text)} is not a valid database URL: {problem}")
        return _load(kind)(text)
    path = Path(text)
    if path.is_dir() or (not path.exists() and not path.suffix):
        return _load("file")(path)
    if path.suffix.lower() in (".sqlite", ".sqlite3"):
        return _load("sqlite")(path)
    return _load("duckdb")(text)


def _load(kind: str):
    module_name, class_name, extra = SCHEMES[kind]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigError(f"the {kind} driver is not installed ({error.name}): "
                          f"pip install 'lookalike[{extra}]'") from error
    return getattr(module, class_name)


class _Borrowed:
    """A connector the caller handed in: `with` gives it back, and its end closes nothing."""

    def __init__(self, connector: Connector) -> None:
        self._connector = connector

    def __enter__(self) -> Connector:
        return self._connector

    def __exit__(self, *exc_info: object) -> None:
        return None

    def close(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connector, name)
