"""`lookalike report`: files or DuckDB tables in, a report and a summary out."""

from __future__ import annotations

import json
import sys

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from lookalike.cli import app, main
from lookalike.io.files import read_table

runner = CliRunner()


def parquet_folder(tables, folder):
    """Each table as `<name>.parquet` in `folder`."""
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet")
    return folder


@pytest.fixture(scope="module")
def files(claims_case, tmp_path_factory):
    return parquet_folder(claims_case, tmp_path_factory.mktemp("files"))


def test_report_from_files_prints_the_summary(files, tmp_path):
    output = tmp_path / "claims.html"
    result = runner.invoke(app, [
        "report", "--real", str(files / "train.parquet"),
        "--synthetic", str(files / "synthetic.parquet"), "--holdout", str(files / "holdout.parquet"),
        "--target", "FRAUD_REPORTED", "--ignore", "POLICY_NUMBER", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Quality of synthetic data (500 real rows")
    assert "ML utility" in result.output and f"report: {output}" in result.output
    assert output.is_file()


def test_report_from_duckdb_tables_as_json(claims_case, tmp_path):
    database = tmp_path / "lab.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE SCHEMA DATA")
        for name, table in claims_case.items():
            con.register("incoming", table)
            con.execute(f"CREATE TABLE DATA.{name} AS SELECT * FROM incoming")
            con.unregister("incoming")
    result = runner.invoke(app, [
        "report", "--real", "DATA.TRAIN", "--synthetic", "data.synthetic",
        "--database", f"duckdb:///{database}", "--output", str(tmp_path / "r.html"),
        "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert 0.8 < data["summary"]["overall"] <= 1.0
    assert data["privacy_note"].startswith("privacy metrics need a holdout")
    assert data["report"].endswith("r.html")


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["lookalike", *args])
    monkeypatch.delenv("LOOKALIKE_DATABASE", raising=False)
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    return exited.value.code or 0, captured.out, captured.err


def test_a_table_name_needs_a_database(monkeypatch, capsys, tmp_path):
    code, out, err = run_main(monkeypatch, capsys, "report", "--real", "DATA.CLAIMS",
                              "--synthetic", "x.csv", "--output", str(tmp_path / "r.html"))
    assert (code, out) == (1, "")
    assert err == ("error: 'DATA.CLAIMS' is not a .csv or .parquet file, so it names a table: "
                   "pass --database duckdb:///path/to/file.duckdb\n")


def test_an_unknown_ignored_column_is_named(monkeypatch, capsys, files, tmp_path):
    code, _, err = run_main(monkeypatch, capsys, "report", "--real", str(files / "train.parquet"),
                            "--synthetic", str(files / "synthetic.parquet"), "--ignore", "NOPE",
                            "--output", str(tmp_path / "r.html"))
    assert code == 1
    assert err.startswith("error: --ignore 'NOPE': no such column in ")


def test_an_unknown_table_is_named(monkeypatch, capsys, tmp_path):
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    code, _, err = run_main(monkeypatch, capsys, "report", "--real", "NOPE", "--synthetic",
                            "NOPE2", "--database", f"duckdb:///{database}",
                            "--output", str(tmp_path / "r.html"))
    assert (code, err) == (1, f"error: no table 'NOPE' in duckdb:///{database}\n")


def test_report_has_help():
    result = runner.invoke(app, ["report", "--help"])
    assert result.exit_code == 0
    assert "--synthetic" in result.output and "--holdout" in result.output
    assert "--join-key" in result.output and "--real-parent" in result.output


@pytest.fixture(scope="module")
def pair_files(insurance_pair, tmp_path_factory):
    return parquet_folder(insurance_pair, tmp_path_factory.mktemp("pair"))


def relationship_args(folder, *extra: str) -> list[str]:
    return ["report", "--real", str(folder / "claims.parquet"),
            "--synthetic", str(folder / "synthetic_claims.parquet"),
            "--real-parent", str(folder / "customers.parquet"),
            "--synthetic-parent", str(folder / "synthetic_customers.parquet"), *extra]


def test_a_relationship_report_from_files(pair_files, tmp_path):
    output = tmp_path / "customers--claims.html"
    result = runner.invoke(app, relationship_args(
        pair_files, "--join-key", "policy_number", "--output", str(output)))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Relationship customers.POLICY_NUMBER -> "
                                    "claims.POLICY_NUMBER\n  children per parent    KS ")
    assert "Quality of synthetic data (1,000 real rows" in result.output
    assert f"report: {output}" in result.output
    assert '<section id="relationship">' in output.read_text()


def test_a_relationship_report_as_json_has_the_new_metrics(pair_files, tmp_path):
    result = runner.invoke(app, relationship_args(
        pair_files, "--join-key", "POLICY_NUMBER", "--ignore", "INSURED_OCCUPATION",
        "--output", str(tmp_path / "r.html"), "--format", "json"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["children_per_parent"]["real"]["histogram"] == [200, 1_000]
    assert 0 <= data["summary"]["children_per_parent_total_variation"] < 0.05
    assert data["parent_columns"][0] == "AGE" and "INSURED_OCCUPATION" not in data["parent_columns"]
    assert data["joined"]["rows"]["real"] == 1_000
    assert data["report"].endswith("r.html")


def test_a_missing_join_key_names_the_table_and_column(monkeypatch, capsys, pair_files,
                                                       tmp_path):
    code, out, err = run_main(monkeypatch, capsys, *relationship_args(
        pair_files, "--join-key", "CUSTOMER_ID", "--output", str(tmp_path / "r.html")))
    assert (code, out) == (1, "")
    assert err == (f"error: no join key column 'CUSTOMER_ID' in the real parent table "
                   f"{pair_files / 'customers.parquet'} (columns: POLICY_NUMBER, AGE, "
                   f"POLICY_START_DATE, POLICY_LENGTH_MONTH, POLICY_DEDUCTABLE, "
                   f"POLICY_ANNUAL_PREMIUM, INSURED_SEX, INSURED_EDUCATION_LEVEL, "
                   f"INSURED_OCCUPATION)\n")
    assert not (tmp_path / "r.html").exists()


def test_a_relationship_needs_all_three_options(monkeypatch, capsys, pair_files, tmp_path):
    code, _, err = run_main(monkeypatch, capsys, "report", "--real", "a.csv", "--synthetic",
                            "b.csv", "--join-key", "POLICY_NUMBER",
                            "--output", str(tmp_path / "r.html"))
    assert code == 1
    assert err == ("error: a relationship report needs --join-key, --real-parent and "
                   "--synthetic-parent; missing --real-parent, --synthetic-parent\n")


@pytest.fixture(scope="module")
def family_files(claims_path, customers_path, tmp_path_factory):
    """The insurance pair split into learned and held-out families, and a synthetic pair learned
    from the first, as parquet files."""
    from lookalike.multitable import KeyColumn, MultiTableSynthesizer, infer_relationships
    from lookalike.privacy import split_families

    tables = {"claims": read_table(claims_path), "customers": read_table(customers_path)}
    relationships = infer_relationships(tables, [KeyColumn(t, "POLICY_NUMBER") for t in tables])
    train, holdout = split_families(tables, relationships, seed=0)
    synthetic = MultiTableSynthesizer(relationships=relationships, random_state=1).fit(
        train).sample()
    return parquet_folder({**train, "synthetic_claims": synthetic["claims"],
                           "synthetic_customers": synthetic["customers"],
                           "holdout_claims": holdout["claims"],
                           "holdout_customers": holdout["customers"]},
                          tmp_path_factory.mktemp("families"))


def test_a_relationship_report_with_held_out_families(family_files, tmp_path):
    result = runner.invoke(app, relationship_args(
        family_files, "--join-key", "POLICY_NUMBER", "--output", str(tmp_path / "r.html"),
        "--holdout", str(family_files / "holdout_claims.parquet"),
        "--holdout-parent", str(family_files / "holdout_customers.parquet"), "--format", "json"))
    assert result.exit_code == 0, result.output
    joined = json.loads(result.output)["joined"]
    assert joined["rows"]["holdout"] == pq.read_metadata(
        family_files / "holdout_claims.parquet").num_rows
    assert abs(joined["summary"]["overall"] - joined["summary"]["holdout_overall"]) < 0.05
    assert 0.4 < joined["privacy"]["dcr_share"] < 0.6


@pytest.mark.parametrize(("extra", "message"), [
    (["--holdout", "h.parquet"], ("a relationship report's holdout is whole families: pass "
                                  "both --holdout (the held-out child rows) and --holdout-parent "
                                  "(their parents), or neither")),
    (["--holdout-parent", "h.parquet"], "a relationship report's holdout is whole families"),
    (["--target", "FRAUD_REPORTED"], "--target is not supported with --join-key"),
])
def test_a_relationship_holdout_needs_both_tables(monkeypatch, capsys, pair_files, tmp_path,
                                                  extra, message):
    code, _, err = run_main(monkeypatch, capsys, *relationship_args(
        pair_files, "--join-key", "POLICY_NUMBER", "--output", str(tmp_path / "r.html"), *extra))
    assert code == 1 and err.startswith(f"error: {message}")
    assert not (tmp_path / "r.html").exists()


def test_holdout_parent_alone_asks_for_a_relationship(monkeypatch, capsys, files, tmp_path):
    code, _, err = run_main(monkeypatch, capsys, "report", "--real", str(files / "train.parquet"),
                            "--synthetic", str(files / "synthetic.parquet"), "--holdout-parent",
                            str(files / "holdout.parquet"), "--output", str(tmp_path / "r.html"))
    assert code == 1
    assert err.startswith("error: --holdout-parent belongs to a relationship report")


def test_the_report_never_overwrites_a_table_it_reads(monkeypatch, capsys, files, tmp_path):
    synthetic = tmp_path / "synthetic.parquet"
    synthetic.write_bytes((files / "synthetic.parquet").read_bytes())
    code, _, err = run_main(monkeypatch, capsys, "report", "--real", str(files / "train.parquet"),
                            "--synthetic", str(synthetic), "--output", str(synthetic))
    assert code == 1
    assert err.startswith(f"error: --output {synthetic} is also --synthetic: lookalike never "
                          f"writes over")
    assert synthetic.read_bytes() == (files / "synthetic.parquet").read_bytes()
