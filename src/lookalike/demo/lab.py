"""Step 1: the lab's database, `BUILD_LONDON_25` with schemas `DATA` and `NOTEBOOK`, holding the
lab's three insurance tables (shipped with lookalike) with their dates typed as dates.

By default the database is an embedded DuckDB file in the demo's output folder; a PostgreSQL URL
works too (schemas are created in the URL's database). Tables are written through the same
connectors `generate` uses: atomically, replacing the demo's own earlier tables.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from lookalike.datasets import insurance
from lookalike.errors import NotYetSupportedError
from lookalike.io.base import Column, Connector, TableInfo, TableName, TableWrite, quote
from lookalike.io.connect import connect

DATABASE = "BUILD_LONDON_25"
DATA, NOTEBOOK = "DATA", "NOTEBOOK"
LAB_TABLES = {"CLAIM_DATA": "claim_data", "CUSTOMER_DATA": "customer_data",
              "CLAIM_DATA_NEW": "claim_data_new"}
ENGINES = ("duckdb", "postgresql")


def open_database(database: str | None, output: Path) -> Connector:
    """The demo's database: `database` (a URL), or the DuckDB file
    `output/BUILD_LONDON_25.duckdb`; a DuckDB file is created when missing."""
    if database is None:
        output.mkdir(parents=True, exist_ok=True)
        database = f"duckdb:///{output / DATABASE}.duckdb"
    if database.startswith("duckdb:///") and database != "duckdb:///:memory:":
        path = Path(database[len("duckdb:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        duckdb.connect(str(path)).close()  # the demo creates its database; the catalog is named
        # after the file
    db = connect(database)
    if db.engine not in ENGINES:
        db.close()
        raise NotYetSupportedError(f"the demo runs on DuckDB or PostgreSQL, not {db.engine}; "
                                   f"pass --database duckdb:///file.duckdb or postgresql://...")
    return db


def catalog(db: Connector) -> str:
    """The database part of fully qualified names (`BUILD_LONDON_25` for the default file)."""
    return db.current()[0]


def create_schemas(db: Connector) -> None:
    for schema in (DATA, NOTEBOOK):
        db.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")


def write_arrow(db: Connector, schema: str, name: str, table: pa.Table) -> TableName:
    """Create (or replace) `schema.name`, typed from the Arrow table's types, with its rows."""
    output = TableName(catalog(db), schema, name)
    columns = tuple(Column(field.name, str(field.type), field.type) for field in table.schema)
    info = TableInfo(output, "arrow", columns)
    db.write_tables([TableWrite(output, info, lambda: iter(table.to_batches()))], replace=True)
    return output


def load_lab(db: Connector) -> dict[str, TableName]:
    """Schemas DATA and NOTEBOOK, and the lab's tables in DATA; returns the tables by name."""
    create_schemas(db)
    return {name: write_arrow(db, DATA, name, insurance(file)) for name, file in LAB_TABLES.items()}
