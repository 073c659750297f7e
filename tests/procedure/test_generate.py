"""GENERATE_SYNTHETIC_DATA end to end on a real DuckDB file holding the lab's tables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from lookalike import generate_synthetic_data
from lookalike.errors import ConfigError
from lookalike.synthesizer import Synthesizer

from .conftest import catalog_types, table_names

LAB_SINGLE_TABLE = {
    "datasets": [{"input_table": "LAB.DATA.CLAIM_DATA",
                  "output_table": "LAB.DATA.CLAIM_DATA_SYNTHETIC"}],
    "replace_output_tables": True,
    "seed": 7,
}


def rows(path: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(path)) as con:
        return con.execute(f"SELECT * FROM DATA.{table}").fetchall()


def test_the_lab_single_table_config(lab: Path, lab_url: str) -> None:
    metrics = generate_synthetic_data(LAB_SINGLE_TABLE, lab_url)
    assert catalog_types(lab, "DATA", "CLAIM_DATA_SYNTHETIC") == catalog_types(
        lab, "DATA", "CLAIM_DATA")
    assert ("INCIDENT_DATE", "DATE") in catalog_types(lab, "DATA", "CLAIM_DATA_SYNTHETIC")
    assert len(rows(lab, "CLAIM_DATA_SYNTHETIC")) == 1000
    assert len(metrics) == 12 * 11 // 2
    assert metrics["columns"].iloc[0] == "POLICY_NUMBER,INCIDENT_DATE"
    assert set(metrics["table_name"]) == {"CLAIM_DATA_SYNTHETIC"}
    assert set(metrics["source_table_name"]) == {"CLAIM_DATA"}
    assert metrics["metric_value"].between(0, 2).all()


def test_same_seed_same_tables_and_num_rows_sets_the_size(lab: Path, lab_url: str) -> None:
    config = json.loads(json.dumps(LAB_SINGLE_TABLE))
    config["datasets"][0]["num_rows"] = 50
    generate_synthetic_data(json.dumps(config), lab_url)
    first = rows(lab, "CLAIM_DATA_SYNTHETIC")
    generate_synthetic_data(config, lab_url)
    assert rows(lab, "CLAIM_DATA_SYNTHETIC") == first
    assert len(first) == 50


def test_an_open_connection_and_a_config_file(lab: Path, tmp_path: Path) -> None:
    path = tmp_path / "synth.json"
    path.write_text(json.dumps(LAB_SINGLE_TABLE))
    with duckdb.connect(str(lab)) as con:
        generate_synthetic_data(path, con)
        assert con.execute("SELECT count(*) FROM DATA.CLAIM_DATA_SYNTHETIC").fetchall() == [
            (1000,)]


def test_sql_types_are_kept_and_unsupported_columns_are_null(tmp_path: Path) -> None:
    path = tmp_path / "types.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("""
            CREATE TABLE T AS SELECT
                (i * 1.25)::DECIMAL(10, 2) AS AMOUNT, DATE '2020-01-01' + i::INTEGER AS DAY,
                TIME '08:00' + INTERVAL (i) MINUTE AS AT, TIMESTAMP '2020-01-01' + INTERVAL (i) HOUR
                AS STAMP, i % 3 = 0 AS FLAG, 'city' || (i % 4) AS CITY, [i, i] AS TAGS,
                uuid() AS ID, i::SMALLINT AS SMALL
            FROM range(100) r(i)""")
    with pytest.warns(UserWarning, match=r"column TAGS has type BIGINT\[\], which lookalike "
                                         r"cannot synthesise"):
        generate_synthetic_data({"datasets": [{"input_table": "t", "output_table": "t_out"}],
                                 "seed": 1}, f"duckdb:///{path}")
    assert catalog_types(path, "main", "t_out") == catalog_types(path, "main", "T")
    with duckdb.connect(str(path)) as con:
        assert con.execute("SELECT count(TAGS), count(ID), count(*) FROM t_out").fetchall() == [
            (0, 100, 100)]


def test_every_database_problem_is_reported_at_once(lab: Path, lab_url: str) -> None:
    with duckdb.connect(str(lab)) as con:
        con.execute("CREATE TABLE DATA.TINY AS SELECT range % 5 AS X FROM range(40)")
        con.execute("CREATE TABLE DATA.DONE AS SELECT 1 AS X")
        con.execute("CREATE VIEW DATA.SEEN AS SELECT 1 AS X")
    config = {"datasets": [
        {"input_table": "LAB.DATA.CLAIMS", "output_table": "LAB.DATA.OUT1"},
        {"input_table": "LAB.DATA.CLAIM_DATA", "output_table": "lab.data.claim_data"},
        {"input_table": "LAB.DATA.CLAIM_DATA", "output_table": "LAB.DATA.DONE",
         "columns": {"claim_amount": {"categorical": True}, "AGEE": {},
                     "incident_date": {"replace": "uuid"}}},
        {"input_table": "LAB.DATA.TINY", "output_table": "LAB.NOPE.OUT"},
        {"input_table": "LAB.DATA.CLAIM_DATA", "output_table": "LAB.DATA.SEEN"},
    ]}
    with pytest.raises(ConfigError) as caught:
        generate_synthetic_data(config, lab_url)
    assert str(caught.value) == (
        "invalid configuration, 9 problems:\n"
        "  - datasets[0].input_table: no table or view LAB.DATA.CLAIMS "
        "(did you mean 'lab.DATA.CLAIM_DATA'?)\n"
        "  - datasets[1].output_table: lab.data.claim_data is the input table; name a new table "
        "for the output\n"
        "  - datasets[2].output_table: lab.DATA.DONE already exists; set replace_output_tables: "
        "true to overwrite it, or name another table\n"
        "  - datasets[2].columns.claim_amount.categorical: applies to string columns only, and "
        "CLAIM_AMOUNT has type BIGINT\n"
        "  - datasets[2].columns.AGEE: no column AGEE in lab.DATA.CLAIM_DATA\n"
        "  - datasets[2].columns.incident_date.replace: applies to string columns only, and "
        "INCIDENT_DATE has type DATE\n"
        "  - datasets[3].output_table: no schema LAB.NOPE to create LAB.NOPE.OUT in; create the "
        "schema first\n"
        "  - datasets[3].input_table: lab.DATA.TINY has 5 distinct rows; at least 20 are needed "
        "to learn from it without copying\n"
        "  - datasets[4].output_table: lab.DATA.SEEN is a view, which an output table cannot "
        "replace; name another table")
    assert table_names(lab) == ["CLAIM_DATA", "CUSTOMER_DATA", "DONE", "TINY"]


def test_two_datasets_cannot_share_an_output(lab_url: str) -> None:
    config = {"datasets": [
        {"input_table": "LAB.DATA.CLAIM_DATA", "output_table": "LAB.DATA.OUT"},
        {"input_table": "LAB.DATA.CUSTOMER_DATA", "output_table": "lab.data.out"}]}
    with pytest.raises(ConfigError, match=r"^invalid configuration: datasets\[1\].output_table: "
                       r"lab.DATA.out is also the output of datasets\[0\]; give each dataset "
                       r"its own output$"):
        generate_synthetic_data(config, lab_url)


def test_the_similarity_filter_meets_the_row_count_and_reports_what_it_did(
        lab: Path, lab_url: str) -> None:
    config = {**LAB_SINGLE_TABLE, "similarity_filter": True, "seed": 5}
    metrics = generate_synthetic_data(config, lab_url)
    assert len(rows(lab, "CLAIM_DATA_SYNTHETIC")) == len(rows(lab, "CLAIM_DATA"))
    values = metrics.set_index("metric_type")["metric_value"]
    assert values["similarity_filter_rows_checked"] >= 1_000
    assert 0 <= values["similarity_filter_rows_dropped"] < values["similarity_filter_rows_checked"]
    assert values["similarity_filter_dcr_threshold"] > 0
    assert 0.3 < values["dcr_share"] < 0.7 and 0.3 < values["mia_auc"] < 0.7
    assert values["exact_copy_rate"] == 0.0


def test_a_failure_mid_write_keeps_every_old_output(
        lab: Path, lab_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config = {**LAB_SINGLE_TABLE, "datasets": [
        {"input_table": "LAB.DATA.CLAIM_DATA", "output_table": "LAB.DATA.CLAIMS_OUT"},
        {"input_table": "LAB.DATA.CUSTOMER_DATA", "output_table": "LAB.DATA.CUSTOMERS_OUT"}]}
    generate_synthetic_data(config, lab_url)
    before = {table: rows(lab, table) for table in ("CLAIMS_OUT", "CUSTOMERS_OUT")}
    real_sample = Synthesizer.sample_batches

    def breaks_on_customers(self: Synthesizer, *args: object, **kwargs: object
                            ) -> Iterator[pa.RecordBatch]:
        batches = real_sample(self, *args, **kwargs)
        if "INSURED_SEX" in self.schema_.names:
            yield next(batches).slice(0, 10)
            raise RuntimeError("generation failed mid-way")
        yield from batches

    monkeypatch.setattr(Synthesizer, "sample_batches", breaks_on_customers)
    with pytest.raises(RuntimeError, match="mid-way"):
        generate_synthetic_data({**config, "seed": 8}, lab_url)
    assert {table: rows(lab, table) for table in before} == before
    assert table_names(lab) == ["CLAIMS_OUT", "CLAIM_DATA", "CUSTOMERS_OUT", "CUSTOMER_DATA"]


def test_a_report_that_cannot_be_written_is_a_warning_after_the_tables(lab: Path, lab_url: str,
                                                                       tmp_path: Path) -> None:
    blocked = tmp_path / "reports"
    blocked.write_text("a file where the report folder should go")
    with pytest.warns(UserWarning, match=f"the quality reports in {blocked} could not all be "):
        metrics = generate_synthetic_data({**LAB_SINGLE_TABLE, "seed": 2}, lab_url,
                                          report=blocked)
    assert len(metrics) > 0
    assert "CLAIM_DATA_SYNTHETIC" in table_names(lab)
