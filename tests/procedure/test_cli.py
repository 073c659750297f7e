"""`lookalike generate`: exit codes, output formats, and the exact error text."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lookalike.cli import app, main

from .test_generate import LAB_SINGLE_TABLE


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "synth.json"
    path.write_text(json.dumps(LAB_SINGLE_TABLE))
    return path


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["lookalike", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    captured = capsys.readouterr()
    return exited.value.code or 0, captured.out, captured.err


def test_generate_has_help() -> None:
    result = CliRunner().invoke(app, ["generate", "--help"])
    assert result.exit_code == 0
    assert "--config" in result.output and "--database" in result.output


def test_generate_prints_the_metrics(config_file: Path, lab_url: str) -> None:
    result = CliRunner().invoke(app, ["generate", "--config", str(config_file), "--database",
                                      lab_url, "--format", "json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert len(metrics) == 66
    assert metrics[0]["metric_type"] == "correlation_coefficient_difference"


def test_generate_csv_has_a_header_and_a_row_per_pair(config_file: Path, lab_url: str) -> None:
    result = CliRunner().invoke(app, ["generate", "-c", str(config_file), "-d", lab_url,
                                      "-f", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("created_on,table_name,table_schema,table_database,columns")
    assert len(lines) == 67


def test_generate_errors_exit_1_with_the_message(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        lab_url: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**LAB_SINGLE_TABLE, "seeds": 1}))
    code, out, err = run_main(monkeypatch, capsys, "generate", "-c", str(bad), "-d", lab_url)
    assert (code, out) == (1, "")
    assert err == ("error: invalid configuration: seeds: unknown key (did you mean 'seed'?); "
                   "allowed: datasets, similarity_filter, replace_output_tables, "
                   "consistency_secret, seed\n")


def test_generate_without_a_database_says_how_to_name_one(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        config_file: Path) -> None:
    monkeypatch.delenv("LOOKALIKE_DATABASE", raising=False)
    code, _, err = run_main(monkeypatch, capsys, "generate", "-c", str(config_file))
    assert code == 1
    assert err == ("error: no database: pass --database duckdb:///path/to/file.duckdb or set "
                   "LOOKALIKE_DATABASE\n")


def test_generate_writes_one_report_per_output_table(lab: Path, lab_url: str,
                                                     tmp_path: Path) -> None:
    config = tmp_path / "synth.json"
    config.write_text(json.dumps({**LAB_SINGLE_TABLE, "seed": 1}))
    result = CliRunner().invoke(app, ["generate", "--config", str(config), "--database", lab_url,
                                      "--report", str(tmp_path / "reports"), "--format", "csv"])
    assert result.exit_code == 0, result.output
    (page,) = (tmp_path / "reports").glob("*.html")
    assert "CLAIM_DATA_SYNTHETIC" in page.name
    html = page.read_text()
    assert "<title>Quality report: lab.DATA.CLAIM_DATA_SYNTHETIC</title>" in html
    assert 'src="data:image/svg+xml;base64,' in html  # plots inlined: the file opens offline
    assert all(f'id="{section}"' in html for section in ("summary", "columns", "pairs",
                                                          "discriminator"))


def test_with_the_similarity_filter_the_report_has_the_holdout_and_privacy(
        lab: Path, lab_url: str, tmp_path: Path) -> None:
    config = tmp_path / "synth.json"
    config.write_text(json.dumps({**LAB_SINGLE_TABLE, "seed": 1, "similarity_filter": True}))
    result = CliRunner().invoke(app, ["generate", "--config", str(config), "--database", lab_url,
                                      "--report", str(tmp_path / "reports"), "--format", "csv"])
    assert result.exit_code == 0, result.output
    (page,) = (tmp_path / "reports").glob("*.html")
    html = page.read_text()
    # the model learnt 800 claims; the 200 the filter held out are the report's holdout
    assert "800 real rows, 1,000 synthetic rows, 200 holdout rows" in html
    assert 'id="privacy"' in html and "fresh real data (holdout)" in html
