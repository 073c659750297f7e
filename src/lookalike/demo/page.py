"""The demo's HTML report: one self-contained file (the plot is embedded) that links to the
per-table quality reports the procedure wrote next to it."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import TYPE_CHECKING

from lookalike.demo.terminal import correlation_summary

if TYPE_CHECKING:
    from lookalike.demo.run import DemoResult


def write_page(result: DemoResult, path: Path) -> Path:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("lookalike.demo", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    plot = result.paths.get("plot")
    html = environment.get_template("demo.html.j2").render(
        result=result,
        plot=base64.b64encode(plot.read_bytes()).decode() if plot else None,
        reports=_report_links(result, path.parent),
        metrics=_metric_summary(result),
        metric_columns=_METRIC_COLUMNS,
        metric_rows=_metric_rows(result),
        llm_rows=result.llm_rows.to_pylist() if result.llm_rows is not None else [],
        llm_columns=result.llm_rows.column_names if result.llm_rows is not None else [],
    )
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(html, encoding="utf-8")
    os.replace(temporary, path)
    return path


def _report_links(result: DemoResult, folder: Path) -> list[tuple[str, str]]:
    reports = result.paths.get("quality_reports")
    if reports is None or not reports.is_dir():
        return []
    return [(file.stem, os.path.relpath(file, folder)) for file in sorted(reports.glob("*.html"))]


_METRIC_COLUMNS = ("table_name", "columns", "source_table_name", "source_columns", "metric_type",
                   "metric_value")


def _metric_rows(result: DemoResult) -> list[dict]:
    if result.metrics is None:
        return []
    rows = result.metrics.round({"metric_value": 4}).astype(object)
    return rows.where(rows.notna(), None).to_dict("records")


def _metric_summary(result: DemoResult) -> list[dict]:
    return [] if result.metrics is None else correlation_summary(result.metrics)
