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
