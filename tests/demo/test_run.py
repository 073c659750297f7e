"""The demo end to end, with a faster setting than the README's (2 seeds, the small grid, 3 LLM
rows): every artifact exists and the numbers are in sane ranges."""

from __future__ import annotations

import json
import os

import duckdb
import pytest

from lookalike.datasets import insurance
from lookalike.demo import DemoDependencyError, DemoOptions, run_demo
from lookalike.demo.evaluation import REAL, SYNTHETIC, padded, split_by_customer
from lookalike.demo.run import require_extras
from lookalike.errors import InvalidOptionError
from tests.io.servers import postgres_database
from tests.report.test_browser import CHROMIUM, chromium, console_messages

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    output = tmp_path_factory.mktemp("demo")
    options = DemoOptions(output=output, seeds=2, padding=(1, 2), grid="fast", llm_rows=3)
    return run_demo(options), output


def test_every_step_ran_and_every_artifact_exists(demo):
    result, output = demo
    assert [step.number for step in result.steps] == list(range(1, 9))
    for name in ("BUILD_LONDON_25.duckdb", "report.html", "summary.json", "metrics.csv",
                 "claim_amount.png", "mlflow/mlflow.db"):
        assert (output / name).is_file(), name
    assert (output / "claim_amount.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in (output / "reports").glob("*.html")) == [
        "BUILD_LONDON_25.DATA.CLAIM_DATA_SYNTHETIC.html",
        ("BUILD_LONDON_25.DATA.CUSTOMER_DATA_SYNTHETIC--BUILD_LONDON_25.DATA.CLAIM_DATA_SYNTHETIC"
        ".html"),  # the relationship report: joined tables, children per parent
        "BUILD_LONDON_25.DATA.CUSTOMER_DATA_SYNTHETIC.html"]


def test_the_database_holds_the_lab_schemas(demo):
    _, output = demo
    with duckdb.connect(str(output / "BUILD_LONDON_25.duckdb"), read_only=True) as con:
        tables = set(con.execute("SELECT schema_name || '.' || table_name FROM duckdb_tables()"
                                 ).fetchall())
        kinds = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE "
                                 "table_name = 'CLAIM_DATA' AND schema_name = 'DATA'").fetchall())
        stacked = con.execute("SELECT IS_SYNTHETIC, count(*) FROM "
                              "NOTEBOOK.CLAIMS_REAL_AND_SYNTHETIC GROUP BY ALL").fetchall()
    names = {row[0] for row in tables}
    assert {"DATA.CLAIM_DATA", "DATA.CUSTOMER_DATA", "DATA.CLAIM_DATA_NEW",
            "DATA.CLAIM_DATA_SYNTHETIC", "DATA.CUSTOMER_DATA_SYNTHETIC",
            "NOTEBOOK.CUSTOMER_DATA_LLM", "NOTEBOOK.CLAIMS_REAL_AND_SYNTHETIC"} <= names
    assert kinds["INCIDENT_DATE"] == "DATE"
    counts = dict(stacked)
    assert counts[False] == 1000 and 900 < counts[True] < 1100


def test_the_llm_rows_are_valid_customers(demo):
    result, _ = demo
    rows = result.llm_rows
    assert rows.num_rows == 3
    assert rows.column_names[:3] == ["POLICY_NUMBER", "AGE", "POLICY_START_DATE"]
    education = {"High School", "Associate", "College", "Masters", "JD", "MD", "PhD"}
    assert set(rows.column("INSURED_EDUCATION_LEVEL").to_pylist()) <= education


def test_the_fair_evaluation_is_in_sane_ranges(demo):
    result, _ = demo
    evaluation = result.evaluation
    assert [s.variant for s in evaluation.summaries] == [REAL, SYNTHETIC, padded(1), padded(2)]
    assert evaluation.summary(REAL).auc.mean > 0.65  # the lab's setting gives about 0.75
    assert evaluation.summary(SYNTHETIC).auc.mean > 0.6
    for summary in evaluation.summaries:
        assert 0.5 < summary.accuracy.mean < 1.0
    assert evaluation.test_rows == 250
    assert len(evaluation.scores) == 2 * 4


def test_no_held_out_customer_reaches_the_synthesiser(demo):
    """The last seed's training tables are still in NOTEBOOK: none of its held-out customers
    (or their claims) is in them."""
    result, output = demo
    claims = insurance("claim_data").to_pandas()
    customers = insurance("customer_data").to_pandas()
    *_, held_out = split_by_customer(claims, customers, 0.25, seed=result.evaluation.seeds[-1])
    with duckdb.connect(str(output / "BUILD_LONDON_25.duckdb"), read_only=True) as con:
        for table in ("CLAIM_DATA_TRAIN", "CUSTOMER_DATA_TRAIN"):
            keys = {row[0] for row in con.execute(
                f"SELECT POLICY_NUMBER FROM NOTEBOOK.{table}").fetchall()}
            assert keys and not keys & set(held_out["POLICY_NUMBER"])


def test_bad_options_are_named_before_anything_runs(tmp_path):
    with pytest.raises(InvalidOptionError) as error:
        run_demo(DemoOptions(output=tmp_path / "never", grid="medium", seeds=0,
                             holdout_share=1.5))
    assert str(error.value) == (
        "grid must be one of full, fast, not 'medium'; seeds must be at least 1, not 0; "
        "holdout_share must be between 0 and 1, not 1.5")
    assert not (tmp_path / "never").exists()


def test_the_model_is_registered_and_loads_back_from_the_registry(demo):
    result, _ = demo
    import mlflow

    registered = result.registered
    assert registered.uri == f"models:/insurance_fraud/{registered.version}"
    mlflow.set_tracking_uri(registered.tracking_uri)
    model = mlflow.sklearn.load_model(registered.uri)
    assert hasattr(model, "predict_proba")
    client = mlflow.MlflowClient(registered.tracking_uri)
    version = client.get_model_version("insurance_fraud", registered.version)
    assert version.run_id == registered.run_id
    run = client.get_run(registered.run_id)
    assert run.data.tags["training_set"] == result.evaluation.best().variant


def test_drift_is_measured_on_the_new_claims(demo):
    result, _ = demo
    assert result.new_claims["rows"] == 200
    assert result.new_claims["fraud_share"] == pytest.approx(61 / 200)  # the data's own share
    assert 0.0 < result.new_claims["fraud_share_predicted"] < 1.0
    by_feature = {d.feature: d for d in result.drift}
    # the new claims happen at other hours (median 3 against 12): the check must see it
    assert by_feature["INCIDENT_HOUR_OF_THE_DAY"].level == "significant shift"
    assert by_feature["CLAIM_AMOUNT"].level == "stable"


def test_the_report_and_summary_say_the_same(demo):
    result, output = demo
    html = (output / "report.html").read_text()
    for section in ("id=\"summary\"", "id=\"llm\"", "id=\"synthesis\"", "id=\"claim-amount\"",
                    "id=\"evaluation\"", "id=\"registry\"", "id=\"drift\""):
        assert section in html
    assert "data:image/png;base64," in html
    assert html.count("<td>correlation_coefficient_difference</td>") == len(
        result.metrics[result.metrics["metric_type"] == "correlation_coefficient_difference"])
    assert "reports/BUILD_LONDON_25.DATA.CLAIM_DATA_SYNTHETIC.html" in html
    summary = json.loads((output / "summary.json").read_text())
    real = next(s for s in summary["evaluation"]["summaries"] if s["variant"] == REAL)
    assert real["auc"]["mean"] == pytest.approx(result.evaluation.summary(REAL).auc.mean)
    assert f"{real['auc']['mean']:.3f}" in html


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed")
def test_the_report_renders_in_chromium(demo, tmp_path):
    _, output = demo
    page = (output / "report.html").as_uri()
    screenshot = tmp_path / "demo.png"
    shot = chromium(tmp_path, "--window-size=1280,3000", f"--screenshot={screenshot}", page)
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.stat().st_size > 50_000 and console_messages(shot.stderr) == []
    dom = chromium(tmp_path, "--dump-dom", page)
    assert console_messages(dom.stderr) == []
    assert dom.stdout.count("<section id=") == 8


def test_the_demo_runs_on_postgresql(tmp_path):
    with postgres_database() as url:
        options = DemoOptions(output=tmp_path, database=url, seeds=1, padding=(1,),
                              grid="fast", llm=False)
        result = run_demo(options)
        assert result.database.startswith("lookalike_test_")
        assert result.evaluation.summary(REAL).auc.mean > 0.6
        assert (tmp_path / "report.html").is_file()
        assert not (tmp_path / "BUILD_LONDON_25.duckdb").exists()


def test_missing_extras_are_named_before_anything_runs(monkeypatch, tmp_path):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: None if name in ("mlflow", "torch") else find_spec(name))
    with pytest.raises(DemoDependencyError) as error:
        run_demo(DemoOptions(output=tmp_path / "never"))
    assert str(error.value) == (
        "the demo needs mlflow, torch: pip install 'lookalike[demo]' (from a checkout: pip "
        "install -e '.[demo]'); or pass --skip-llm to run without the language model")
    assert not (tmp_path / "never").exists()
    with pytest.raises(DemoDependencyError, match="^the demo needs mlflow: "):
        require_extras(llm=False)
