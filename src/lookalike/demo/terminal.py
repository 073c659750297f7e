"""The demo's tables for the terminal (rich), and the metrics summary the page shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
from rich.table import Table

from lookalike.demo import evaluation as fair

if TYPE_CHECKING:
    from lookalike.demo.run import DemoResult

CORRELATION = "correlation_coefficient_difference"


def correlation_summary(metrics: pd.DataFrame, worst: int = 3) -> list[dict]:
    """Per output table: pairs measured, mean and max difference, the worst pairs."""
    rows = metrics[metrics["metric_type"] == CORRELATION]
    summary = []
    for table, group in rows.groupby("table_name", sort=False):
        top = group.nlargest(worst, "metric_value")
        summary.append({"table": table, "pairs": len(group),
                        "mean": group["metric_value"].mean(), "max": group["metric_value"].max(),
                        "worst": [(r.columns, r.metric_value) for r in top.itertuples()]})
    return summary
def arrow_table(table: pa.Table, title: str) -> Table:
    shown = Table(title=title)
    for name in table.column_names:
        shown.add_column(name)
    for row in table.to_pylist():
        shown.add_row(*("" if value is None else str(value) for value in row.values()))
    return shown


def metrics_table(metrics: pd.DataFrame) -> Table:
    """The procedure's metrics per output table (every row is in metrics.csv)."""
    shown = Table(title=f"GENERATE_SYNTHETIC_DATA: {CORRELATION}")
    for column in ("table", "pairs", "mean", "max", "at"):
        shown.add_column(column)
    for table in correlation_summary(metrics, worst=1):
        (pair, value), = table["worst"]
        shown.add_row(str(table["table"]), str(table["pairs"]), f"{table['mean']:.3f}",
                      f"{value:.3f}", str(pair))
    return shown


def evaluation_table(evaluation: fair.Evaluation) -> Table:
    shown = Table(title=f"Held-out real claims, {len(evaluation.seeds)} seeds: mean "
                        f"[95% interval]")
    for column in ("training set", "rows", "ROC AUC", "accuracy", "AUC vs real only",
                   "verdict"):
        shown.add_column(column)
    for s in evaluation.summaries:
        shown.add_row(s.variant, f"{s.train_rows:,}", str(s.auc), str(s.accuracy),
                      "" if s.gain is None else str(s.gain), s.verdict)
    return shown


def summary_table(result: DemoResult) -> Table:
    shown = Table(title="lookalike demo: summary")
    for column in ("step", "seconds", "result"):
        shown.add_column(column)
    for step in result.steps:
        shown.add_row(f"{step.number}. {step.title}", f"{step.seconds:.1f}", step.outcome)
    shown.add_row("total", f"{sum(s.seconds for s in result.steps):.1f}", "")
    return shown
