"""`lookalike generate --database postgresql://...` (and mysql://...) runs the same procedure as
on DuckDB: the lab's insurance tables loaded into a real server database, synthesised there."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from lookalike.cli import app
from lookalike.io import files
from lookalike.io.base import Column, TableInfo, TableWrite
from lookalike.io.connect import connect

INSURANCE = Path(str(resources.files("lookalike") / "data" / "insurance"))


def load_insurance(url: str) -> None:
    with connect(url) as db:
        writes = []
        for name, csv in (("customers", "customer_data.csv"), ("claims", "claim_data.csv")):
            data = files.read_table(INSURANCE / csv)
            data = data.rename_columns([c.lower() for c in data.column_names])
            columns = tuple(Column(f.name, str(f.type), f.type, length=40 if pa.types.is_string(
                f.type) else None, nullable=f.name != "policy_number") for f in data.schema)
            output = db.new_table_name(name)
            info = TableInfo(output, "arrow", columns,
                             primary_key=("policy_number",) if name == "customers" else ())
            writes.append(TableWrite(output, info, lambda data=data: iter(data.to_batches())))
        db.write_tables(writes, replace=True)


@pytest.fixture(params=["postgresql", "mysql"])
def server_url(request: pytest.FixtureRequest) -> str:
    url = request.getfixturevalue(f"{request.param}_url")
    load_insurance(url)
    return url


def test_generate_writes_linked_outputs_with_the_source_types(server_url: str,
                                                              tmp_path: Path) -> None:
    config = tmp_path / "synth.json"
    key = {"policy_number": {"join_key": True}}
    config.write_text(json.dumps({
        "datasets": [
            {"input_table": "customers", "output_table": "customers_synthetic", "columns": key,
             "num_rows": 300},
            {"input_table": "claims", "output_table": "claims_synthetic", "columns": key},
        ],
        "replace_output_tables": True, "seed": 7,
    }))
    result = CliRunner().invoke(app, ["generate", "--config", str(config), "--database",
                                      server_url, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)
    with connect(server_url) as db:
        customers, out = db.find_table("customers"), db.find_table("customers_synthetic")
        claims_out = db.find_table("claims_synthetic")
        assert db.columns(out) == db.columns(customers)
        assert db.describe(out).primary_key == ("policy_number",)
        assert db.row_count(out) == 300
        synthetic = db.read_table(out).column("policy_number").to_pylist()
        real = set(db.read_table(customers).column("policy_number").to_pylist())
        assert not real & set(synthetic)  # pseudonyms, never real keys
        children = set(db.read_table(claims_out).column("policy_number").to_pylist()) - {None}
        assert not children & real
        assert len(children & set(synthetic)) > 0.9 * len(children)


def test_a_primary_key_that_is_not_a_join_key_is_refused_clearly(server_url: str,
                                                                tmp_path: Path) -> None:
    config = {"datasets": [{"input_table": "customers", "output_table": "customers_copy"}],
              "replace_output_tables": True, "seed": 1}
    (tmp_path / "c.json").write_text(json.dumps(config))
    result = CliRunner().invoke(app, ["generate", "--config", str(tmp_path / "c.json"),
                                      "--database", server_url])
    assert result.exit_code == 1
    assert 'declare policy_number "join_key": true' in str(result.exception)
    with connect(server_url) as db:
        assert db.find_table("customers_copy") is None


MOODS = ("happy", "sad", "ok", "rare1", "rare2", "unused")
ENUM_DDL = {
    "duckdb": ["CREATE TYPE mood AS ENUM ('happy', 'sad', 'ok', 'rare1', 'rare2', 'unused')",
               "CREATE TABLE moods (id INTEGER, m mood NOT NULL, x DOUBLE)"],
    "postgresql": ["DROP TYPE IF EXISTS mood CASCADE",
                   "CREATE TYPE mood AS ENUM ('happy', 'sad', 'ok', 'rare1', 'rare2', 'unused')",
                   "CREATE TABLE moods (id integer, m mood NOT NULL, x double precision)"],
    "mysql": [("CREATE TABLE moods (id int, m enum('happy', 'sad', 'ok', 'rare1', 'rare2', "
              "'unused') NOT NULL, x double)")],
}


@pytest.mark.parametrize("engine", ["duckdb", "postgresql", "mysql"])
def test_an_enum_with_rare_labels_comes_out_as_its_own_labels(engine: str, tmp_path: Path,
                                                              request: pytest.FixtureRequest
                                                              ) -> None:
    """Categories seen fewer than 5 times are pooled; in an enum they come out as one of the
    labels not kept (never '_RARE_', which the column cannot hold), and the insert succeeds."""
    if engine == "duckdb":
        import duckdb
        duckdb.connect(str(tmp_path / "moods.duckdb")).close()
        url = f"duckdb:///{tmp_path / 'moods.duckdb'}"
    else:
        url = request.getfixturevalue(f"{engine}_url")
    moods = ["rare1", "rare2"] + [("happy", "sad", "ok")[i % 3] for i in range(198)]
    with connect(url) as db:
        for statement in ENUM_DDL[engine]:
            db.execute(statement)
        table = db.find_table("moods")
        data = pa.table({"id": pa.array(range(200), pa.int32()), "m": moods,
                         "x": [i * 1.5 for i in range(200)]})
        db.write_table(data.to_batches(), db.new_table_name("moods_staged"), table)
        db.execute(f"INSERT INTO {db.sql_name(table)} SELECT * FROM "
                   f"{db.sql_name(db.find_table('moods_staged'))}")
    config = {"datasets": [{"input_table": "moods", "output_table": "moods_synthetic",
                            "num_rows": 20_000}], "replace_output_tables": True, "seed": 3}
    from lookalike import generate_synthetic_data
    generate_synthetic_data(config, url)
    with connect(url) as db:
        out = db.read_table(db.find_table("moods_synthetic")).column("m")
        values = set(out.cast(pa.string()).to_pylist()) if pa.types.is_dictionary(out.type) \
            else set(out.to_pylist())
        assert values <= set(MOODS) and {"happy", "sad", "ok"} <= values
        assert values & {"rare1", "rare2", "unused"}  # the pooled rows, as unused labels
        for name in ("moods", "moods_staged", "moods_synthetic"):
            db.execute(f"DROP TABLE {db.sql_name(db.find_table(name))}")
