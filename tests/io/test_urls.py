"""URLs pick connectors; passwords never appear in a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookalike.errors import ConfigError, ReadError
from lookalike.io.base import mask_url
from lookalike.io.connect import connect
from lookalike.io.duckdb import DuckDBConnector
from lookalike.io.folder import FolderConnector
from lookalike.io.sqlite import SQLiteConnector


def test_passwords_are_masked() -> None:
    assert mask_url("postgresql://ann:s3cret@db:5432/prod") == "postgresql://ann:***@db:5432/prod"
    assert mask_url("mysql://root@127.0.0.1/shop") == "mysql://root@127.0.0.1/shop"


@pytest.mark.parametrize("url", ["postgresql://ann:s3cret@127.0.0.1:1/prod",
                                 "mysql://ann:s3cret@127.0.0.1:1/prod"])
def test_a_failed_connection_names_the_server_but_not_the_password(url: str) -> None:
    with pytest.raises(ReadError) as caught:
        connect(url)
    assert "s3cret" not in str(caught.value) and "ann:***@127.0.0.1:1" in str(caught.value)


@pytest.mark.parametrize("url, problem", [
    ("postgresql://ann:s3cret@[::1/prod", "Invalid IPv6 URL"),
    ("mysql://ann:s3cret@127.0.0.1:99999/shop", "Port out of range 0-65535"),
])
def test_a_malformed_url_is_named_without_its_password(url: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        connect(url)
    assert "s3cret" not in str(caught.value)
    assert str(caught.value).endswith(f"is not a valid database URL: {problem}")


def test_urls_and_paths_pick_their_connector(tmp_path: Path) -> None:
    import duckdb
    duckdb.connect(str(tmp_path / "a.duckdb")).close()
    with connect(f"duckdb:///{tmp_path / 'a.duckdb'}") as db:
        assert isinstance(db, DuckDBConnector)
    with connect(f"sqlite:///{tmp_path / 'b.db'}") as db:
        assert isinstance(db, SQLiteConnector)
    with connect(tmp_path) as db:
        assert isinstance(db, FolderConnector)
    with pytest.raises(ConfigError, match="unsupported database URL oracle://u:\\*\\*\\*@h/x"):
        connect("oracle://u:pw@h/x")


def test_a_file_that_is_not_duckdb_is_named(tmp_path: Path) -> None:
    garbage = tmp_path / "lab.duckdb"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ReadError, match=f"cannot open the DuckDB database {garbage}: "):
        connect(f"duckdb:///{garbage}")


def test_a_file_that_is_not_sqlite_is_named(tmp_path: Path) -> None:
    garbage = tmp_path / "shop.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ReadError, match=f"cannot open the SQLite database {garbage}: file is not "
                                        f"a database"):
        connect(f"sqlite:///{garbage}")
    with pytest.raises(ReadError, match=f"{tmp_path} is a folder, not a SQLite database file"):
        connect(f"sqlite:///{tmp_path}")
