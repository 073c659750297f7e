"""The lab's two-table call with policy_number as join key, on a real DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from lookalike import generate_synthetic_data
from lookalike.errors import ConfigError, LookalikeError
from lookalike.privacy.families import split_families
from lookalike.privacy.filter import calibrate
from lookalike.privacy.neighbours import nearest
from lookalike.procedure import generate as generate_module

KEY = {"policy_number": {"join_key": True}}
LAB_TWO_TABLES = {
    "datasets": [
        {"input_table": "LAB.DATA.CLAIM_DATA", "output_table": "LAB.DATA.CLAIM_DATA_SYNTHETIC",
         "columns": KEY},
        {"input_table": "LAB.DATA.CUSTOMER_DATA",
         "output_table": "LAB.DATA.CUSTOMER_DATA_SYNTHETIC", "columns": KEY},
    ],
    "replace_output_tables": True,
}


def query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path)) as con:
        return con.execute(sql).fetchall()


def keys(path: Path, table: str) -> set[int]:
    return {row[0] for row in query(path, f"SELECT POLICY_NUMBER FROM DATA.{table}")}


def test_the_lab_call_keeps_the_join(lab: Path, lab_url: str) -> None:
    metrics = generate_synthetic_data(LAB_TWO_TABLES, lab_url)
    (joined,) = query(lab, "SELECT count(*) FROM DATA.CLAIM_DATA_SYNTHETIC c "
                           "JOIN DATA.CUSTOMER_DATA_SYNTHETIC p USING (POLICY_NUMBER)")[0:1]
    assert abs(joined[0] - 1_000) <= 50
    orphans = query(lab, "SELECT count(*) FROM DATA.CLAIM_DATA_SYNTHETIC WHERE POLICY_NUMBER "
                         "NOT IN (SELECT POLICY_NUMBER FROM DATA.CUSTOMER_DATA_SYNTHETIC)")
    assert orphans == [(0,)]
    real = keys(lab, "CLAIM_DATA") | keys(lab, "CUSTOMER_DATA")
    synthetic = keys(lab, "CLAIM_DATA_SYNTHETIC") | keys(lab, "CUSTOMER_DATA_SYNTHETIC")
    assert not real & synthetic
    assert min(real) <= min(synthetic) and max(synthetic) <= max(real)  # look like the real ones
    key_pairs = metrics[metrics["columns"].str.contains("POLICY_NUMBER")]
    assert key_pairs["metric_value"].isna().all()  # pseudonyms carry no association


def test_the_same_secret_gives_keys_that_join_across_runs(lab: Path, lab_url: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_SECRET", "s3cret-value")
    config = {**LAB_TWO_TABLES, "consistency_secret": {"env": "LAB_SECRET"}}
    generate_synthetic_data(config, lab_url)
    first = keys(lab, "CUSTOMER_DATA_SYNTHETIC")
    generate_synthetic_data(config, lab_url)
    assert keys(lab, "CUSTOMER_DATA_SYNTHETIC") == first
    generate_synthetic_data(LAB_TWO_TABLES, lab_url)
    assert keys(lab, "CUSTOMER_DATA_SYNTHETIC") != first


def test_the_secret_appears_nowhere(lab: Path, lab_url: str, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("do-not-print-me\n")
    config = {**LAB_TWO_TABLES, "consistency_secret": {"file": str(secret_file)}}
    metrics = generate_synthetic_data(config, lab_url)
    assert "do-not-print-me" not in metrics.to_csv()
    for table in ("CLAIM_DATA_SYNTHETIC", "CUSTOMER_DATA_SYNTHETIC"):
        assert "do-not-print-me" not in str(query(lab, f"SELECT * FROM DATA.{table}"))


def test_a_missing_secret_variable_is_reported_without_a_value(lab_url: str,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    monkeypatch.delenv("NO_SUCH_SECRET", raising=False)
    with pytest.raises(ConfigError, match="^invalid configuration: consistency_secret.env: the "
                       "environment variable NO_SUCH_SECRET is not set or is empty$"):
        generate_synthetic_data({**LAB_TWO_TABLES, "consistency_secret": {"env": "NO_SUCH_SECRET"}},
                                lab_url)


def test_num_rows_on_the_parent_scales_the_children(lab: Path, lab_url: str) -> None:
    datasets = [dict(d) for d in LAB_TWO_TABLES["datasets"]]
    datasets[1]["num_rows"] = 2_400
    generate_synthetic_data({**LAB_TWO_TABLES, "datasets": datasets}, lab_url)
    assert query(lab, "SELECT count(*) FROM DATA.CUSTOMER_DATA_SYNTHETIC") == [(2_400,)]
    (claims,) = query(lab, "SELECT count(*) FROM DATA.CLAIM_DATA_SYNTHETIC")[0]
    assert 1_800 <= claims <= 2_200


def test_num_rows_on_a_child_is_an_error(lab_url: str) -> None:
    datasets = [dict(d) for d in LAB_TWO_TABLES["datasets"]]
    datasets[0]["num_rows"] = 10
    with pytest.raises(ConfigError, match=r"datasets\[0\].num_rows: the rows of lab.DATA.CLAIM_DATA "
                       r"follow from its parent's rows"):
        generate_synthetic_data({**LAB_TWO_TABLES, "datasets": datasets}, lab_url)


def test_a_declared_parent_must_be_an_input_of_the_call(lab_url: str) -> None:
    datasets = [dict(d) for d in LAB_TWO_TABLES["datasets"]]
    datasets[0]["columns"] = {"policy_number": {"join_key": True, "parent": "LAB.DATA.NOPE"}}
    with pytest.raises(ConfigError, match=r"datasets\[0\].columns.policy_number.parent"):
        generate_synthetic_data({**LAB_TWO_TABLES, "datasets": datasets}, lab_url)


def test_a_declared_parent_that_contradicts_the_data_is_an_error(lab: Path, lab_url: str) -> None:
    query(lab, "CREATE TABLE DATA.MANY AS SELECT POLICY_NUMBER, CLAIM_AMOUNT FROM "
               "DATA.CLAIM_DATA UNION ALL SELECT POLICY_NUMBER, CLAIM_AMOUNT + 1 FROM DATA.CLAIM_DATA")
    config = {"datasets": [
        {"input_table": "LAB.DATA.MANY", "output_table": "LAB.DATA.MANY_OUT", "columns": KEY},
        {"input_table": "LAB.DATA.CLAIM_DATA", "output_table": "LAB.DATA.CLAIM_OUT",
         "columns": {"policy_number": {"join_key": True, "parent": "LAB.DATA.MANY"}}}]}
    with pytest.raises(LookalikeError, match="the declared parent lab.DATA.MANY holds some values "
                       "more than once"):
        generate_synthetic_data(config, lab_url)


def test_report_writes_a_relationship_report_for_the_parent_and_child(lab_url: str,
                                                                      tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    generate_synthetic_data({**LAB_TWO_TABLES, "seed": 3}, lab_url, report=folder)
    relationship = "lab.DATA.CUSTOMER_DATA_SYNTHETIC--lab.DATA.CLAIM_DATA_SYNTHETIC.html"
    assert {page.name for page in folder.glob("*.html")} == {
        "lab.DATA.CLAIM_DATA_SYNTHETIC.html", "lab.DATA.CUSTOMER_DATA_SYNTHETIC.html",
        relationship}
    html = (folder / relationship).read_text()
    assert ("<title>Relationship report: lab.DATA.CUSTOMER_DATA_SYNTHETIC → "
            "lab.DATA.CLAIM_DATA_SYNTHETIC</title>") in html
    assert "Relationship: CUSTOMER_DATA_SYNTHETIC.POLICY_NUMBER &rarr; " in html
    assert 'id="children-table"' in html and 'id="cross-pair-table"' in html
    assert "<td>POLICY_NUMBER</td>" not in html  # pseudonymous keys are not compared


def test_with_the_filter_the_relationship_report_has_the_held_out_families(
        lab_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    config = {**LAB_TWO_TABLES, "seed": 3, "similarity_filter": True}
    generate_synthetic_data(config, lab_url, report=folder)
    html = (folder / "lab.DATA.CUSTOMER_DATA_SYNTHETIC--lab.DATA.CLAIM_DATA_SYNTHETIC.html"
            ).read_text()
    assert "holdout rows" in html and "fresh real data (holdout)" in html


def test_the_similarity_filter_keeps_every_key_joined(lab: Path, lab_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    splits = []

    def recording_split(*args, **kwargs):
        splits.append(split_families(*args, **kwargs))
        return splits[-1]

    monkeypatch.setattr(generate_module, "split_families", recording_split)
    datasets = [dict(d) for d in LAB_TWO_TABLES["datasets"]]
    datasets[1]["num_rows"] = 1_500
    config = {**LAB_TWO_TABLES, "datasets": datasets, "similarity_filter": True, "seed": 3}
    metrics = generate_synthetic_data(config, lab_url)
    assert query(lab, "SELECT count(*) FROM DATA.CUSTOMER_DATA_SYNTHETIC") == [(1_500,)]
    assert query(lab, "SELECT count(*) FROM DATA.CLAIM_DATA_SYNTHETIC WHERE POLICY_NUMBER NOT IN "
                      "(SELECT POLICY_NUMBER FROM DATA.CUSTOMER_DATA_SYNTHETIC)") == [(0,)]
    values = metrics[metrics["columns"].isna()].set_index(["table_name", "metric_type"])
    (train, holdout), = splits
    for source, output in (("CLAIM_DATA", "CLAIM_DATA_SYNTHETIC"),
                           ("CUSTOMER_DATA", "CUSTOMER_DATA_SYNTHETIC")):
        value = values.loc[output, "metric_value"]
        assert value["similarity_filter_rows_checked"] >= len(query(lab, f"SELECT 1 FROM "
                                                                         f"DATA.{output}"))
        assert value["similarity_filter_dcr_threshold"] > 0 and 0.3 < value["mia_auc"] < 0.7
        name = f"lab.DATA.{source}"
        calibration = calibrate(train[name], holdout[name], exclude={"POLICY_NUMBER"})
        with duckdb.connect(str(lab)) as con:
            synthetic = con.sql(f"SELECT * FROM DATA.{output}").to_arrow_table()
        found = nearest(calibration.train_points, calibration.encoder.transform(synthetic), 1)
        assert np.all(found.distances[:, 0] >= value["similarity_filter_dcr_threshold"] - 1e-6)
