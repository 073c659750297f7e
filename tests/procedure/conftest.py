"""A real DuckDB file holding the lab's insurance tables in schema DATA, as the lab loads them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb
import pytest

INSURANCE = Path(str(resources.files("lookalike") / "data" / "insurance"))

LAB_TABLES = {"CLAIM_DATA": "claim_data.csv", "CUSTOMER_DATA": "customer_data.csv"}


def load_lab(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA DATA")
        for table, csv in LAB_TABLES.items():
            csv_path = INSURANCE / csv
            header = csv_path.read_text().splitlines()[0].split(",")
            dates = {name: "DATE" for name in header if "DATE" in name}
            con.execute(f"CREATE TABLE DATA.{table} AS SELECT * FROM read_csv(?, types = ?)",
                        [str(csv_path), dates])


@pytest.fixture(scope="session")
def lab_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lab") / "lab.duckdb"
    load_lab(path)
    return path


@pytest.fixture
def lab(tmp_path: Path, lab_template: Path) -> Path:
    """A fresh copy of the lab database for each test (tests write to it)."""
    path = tmp_path / "lab.duckdb"
    path.write_bytes(lab_template.read_bytes())
    return path


@pytest.fixture
def lab_url(lab: Path) -> str:
    return f"duckdb:///{lab}"


def catalog_types(path: Path | str, schema: str, table: str) -> list[tuple[str, str]]:
    with duckdb.connect(str(path)) as con:
        return con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND "
            "table_name = ? ORDER BY column_index", [schema, table]).fetchall()


def table_names(path: Path | str) -> list[str]:
    with duckdb.connect(str(path)) as con:
        return sorted(row[0] for row in con.execute(
            "SELECT table_name FROM duckdb_tables()").fetchall())
