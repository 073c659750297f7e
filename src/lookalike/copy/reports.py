"""What a copy reports: rows and time per table (`CopyReport`), printed by `describe_report`,
and with `report=DIR` written as `report.json`, one HTML quality report per synthetic table and
an `index.html` linking them."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from lookalike.io.base import TableInfo


@dataclass
class TableReport:
    table: str
    real_rows: int
    synthetic_rows: int = 0
    mode: str = "synthetic"  # or "verbatim", "empty", "view" (a view materialised)
    report: str | None = None  # its HTML quality report, in the report folder


@dataclass
class CopyReport:
    """What was copied, and where the time went (seconds)."""

    tables: list[TableReport] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    deferred: list[str] = field(default_factory=list)  # foreign keys filled after sampling

    def to_dict(self) -> dict[str, Any]:
        return {"tables": [vars(t) for t in self.tables], "seconds": self.seconds,
                "deferred_foreign_keys": self.deferred}


def describe_report(report: CopyReport) -> str:
    width = max([len(t.table) for t in report.tables] + [30])
    lines = [f"{'table':{width}} {'mode':10} {'real rows':>10} {'written':>10}"]
    for t in report.tables:
        lines.append(f"{t.table:{width}} {t.mode:10} {t.real_rows:>10} {t.synthetic_rows:>10}")
    lines.append("seconds: " + ", ".join(f"{k} {v}" for k, v in report.seconds.items()))
    if report.deferred:
        lines.append("foreign keys filled after sampling: " + "; ".join(report.deferred))
    return "\n".join(lines) + "\n"


def require_rendering() -> None:
    """Fail before copying anything when the HTML reports could not be rendered."""
    from lookalike.report.plots import require

    require("jinja2")
    require("matplotlib")


def quality_reports(folder: Path, report: CopyReport, infos: Mapping[str, TableInfo],
                    real: Mapping[str, pa.Table], synthetic: Mapping[str, pa.Table],
                    seed: int | None) -> None:
    """One HTML quality report per learned table (not for those copied as they are or empty),
    comparing the columns that were learned: keys, whose values are pseudonyms, are left out, and
    a table with nothing left to compare (only keys and free text) gets none."""
    from lookalike.report import report_for_output
    from lookalike.report.columns import column_kinds

    for table in report.tables:
        columns = measured_columns(infos[table.table])
        learned = table.mode in ("synthetic", "view") and synthetic[table.table].num_rows
        if learned and columns and column_kinds(real[table.table], columns)[0]:
            name = table.table.split(".", 1)[1]  # schema.table
            path = report_for_output(real[table.table], synthetic[table.table], folder, name,
                                     columns=columns, seed=seed or 0)
            table.report = path.name


def measured_columns(info: TableInfo) -> list[str]:
    keys = {c for fk in info.foreign_keys for c in fk.columns}
    keys |= {u[0] for u in (info.primary_key, *info.unique) if len(u) == 1}
    return [c.name for c in info.columns if c.supported and not c.uuid and c.name not in keys]


def write_summary(folder: Path, report: CopyReport) -> None:
    """report.json, and index.html: a table of the copied tables linking their reports."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report.to_dict(), indent=2))
    rows = "".join(
        f"<tr><td>{_link(t)}</td><td>{t.mode}</td><td>{t.real_rows}</td>"
        f"<td>{t.synthetic_rows}</td></tr>" for t in report.tables)
    seconds = ", ".join(f"{k} {v} s" for k, v in report.seconds.items())
    (folder / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>lookalike copy</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em 1em;text-align:"
        "right}td:first-child,th:first-child{text-align:left}</style></head><body>"
        "<h1>Synthetic copy</h1><table><tr><th>table</th><th>mode</th><th>real rows</th>"
        f"<th>written</th></tr>{rows}</table><p>{html.escape(seconds)}</p></body></html>\n",
        encoding="utf-8")


def _link(table: TableReport) -> str:
    name = html.escape(table.table)
    return f"<a href='{html.escape(table.report)}'>{name}</a>" if table.report else name
