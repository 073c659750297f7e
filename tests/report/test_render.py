"""The HTML report: one self-contained file, every section, small for wide tables; and the
plain-text summary."""

from __future__ import annotations

import builtins
import re
import sys

import numpy as np
import pandas as pd
import pytest

from lookalike.report import evaluate, report_for_output, text_summary, write_html

SECTIONS = ("summary", "columns", "pairs", "discriminator", "privacy", "utility", "method")


def external_references(html: str) -> list[str]:
    """Every src/href that would load something: anything but data: URIs and #anchors."""
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html, flags=re.IGNORECASE)
    refs += re.findall(r"url\(\s*['\"]?([^'\")]+)", html, flags=re.IGNORECASE)
    return [ref for ref in refs if not ref.startswith(("data:", "#"))]


def test_the_claims_report_is_one_self_contained_file(claims_report):
    _metrics, path = claims_report
    html = path.read_text(encoding="utf-8")
    assert external_references(html) == []
    assert "<script" not in html and "<link rel=\"stylesheet\"" not in html
    assert not re.search(r"https?://", html.replace("http://www.w3.org", ""))
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    assert path.stat().st_size < 1_000_000
    assert html.count("data:image/svg+xml;base64,") >= 11 + 4  # 11 columns, heatmap, models


def test_the_claims_report_shows_every_measure(claims_report):
    metrics, path = claims_report
    html = path.read_text(encoding="utf-8")
    assert metrics.utility is not None and metrics.privacy is not None
    assert "privacy metrics unavailable" not in html
    assert f"{100 * metrics.overall:.1f}%" in html
    assert "DCR share" in html and "TSTR" in html and "Discriminator AUC" in html
    assert "CLAIM_AMOUNT" in html and "POLICY_NUMBER" not in html


def test_the_report_says_so_when_privacy_is_unavailable(claims_case, tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_privacy(name, *args, **kwargs):
        if name == "lookalike.privacy":
            raise ImportError("No module named 'lookalike.privacy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "lookalike.privacy", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_privacy)
    metrics = evaluate(claims_case["train"], claims_case["synthetic"],
                       holdout=claims_case["holdout"])
    assert metrics.privacy is None
    assert metrics.privacy_note.startswith("privacy metrics unavailable")
    html = write_html(metrics, tmp_path / "r.html").read_text()
    assert "privacy metrics unavailable" in html
    assert "privacy metrics unavailable" in text_summary(metrics)


def test_a_report_without_the_tables_has_the_numbers_only(claims_case, tmp_path):
    metrics = evaluate(claims_case["train"], claims_case["synthetic"])
    html = write_html(metrics, tmp_path / "numbers.html").read_text()
    assert "No distribution plots" in html
    assert "privacy metrics need a holdout" in html


def test_a_wide_table_gets_capped_plots_and_a_small_file(tmp_path):
    rng = np.random.default_rng(0)
    n, width = 2_000, 120
    base = rng.normal(size=n)
    columns = {}
    for i in range(width):
        if i % 3 == 0:
            columns[f"cat_{i}"] = rng.choice(list("abcdef"), n)
        else:
            columns[f"num_{i}"] = base * (i % 5) + rng.normal(size=n)
    real = pd.DataFrame(columns)
    synthetic = real.apply(lambda c: rng.permutation(c.to_numpy()))
    metrics = evaluate(real, synthetic)
    assert len(metrics.pairs) == width * (width - 1) // 2
    path = write_html(metrics, tmp_path / "wide.html", real=real, synthetic=synthetic)
    html = path.read_text()
    assert "Distribution plots for the 24 of 120 columns" in html
    assert "Heatmaps of the 30 of 120 columns" in html
    assert path.stat().st_size < 3_000_000
    assert metrics.seconds["total"] < 60


def test_text_summary_has_the_headline_numbers(claims_report):
    metrics, _ = claims_report
    text = text_summary(metrics)
    assert text.startswith("Quality of synthetic data (500 real rows, 500 synthetic, 500 holdout)")
    for words in ("overall", "column shapes", "column pair trends", "discriminator AUC",
                  "ML utility", "DCR share", "vs fresh real data"):
        assert words in text


def test_json_is_plain(claims_report):
    import json

    metrics, _ = claims_report
    data = json.loads(json.dumps(metrics.to_dict(), allow_nan=False))
    assert data["summary"]["overall"] == pytest.approx(metrics.overall)
    assert data["privacy"]["dcr_share"] == pytest.approx(metrics.privacy.dcr_share)


def test_report_for_output_names_the_file_after_the_table(claims_case, tmp_path):
    path = report_for_output(claims_case["train"], claims_case["synthetic"], tmp_path / "reports",
                             'LAB.DATA."Claim Data Synthetic"')
    assert path == tmp_path / "reports" / "LAB.DATA.Claim_Data_Synthetic.html"
    assert "Quality report: LAB.DATA.&#34;Claim Data Synthetic&#34;" in path.read_text() or (
        "Claim Data Synthetic" in path.read_text())


def test_missing_plotting_libraries_give_a_clear_error(claims_case, tmp_path, monkeypatch):
    from lookalike.report import ReportDependencyError

    monkeypatch.setitem(sys.modules, "jinja2", None)
    metrics = evaluate(claims_case["train"], claims_case["synthetic"])
    with pytest.raises(ReportDependencyError, match=r"pip install 'lookalike\[report\]'"):
        write_html(metrics, tmp_path / "r.html")
