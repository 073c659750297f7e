"""The quality report: can I trust this synthetic data?

Compute typed metrics first (`evaluate`), render second (`write_html`, `text_summary`), and
return both (`report`). The report is one self-contained HTML file that opens offline.
Rendering needs the `report` extra (`pip install 'lookalike[report]'`: jinja2 and matplotlib);
measuring does not.

>>> metrics = evaluate(train, synthetic, holdout=holdout, target="FRAUD_REPORTED")
>>> write_html(metrics, "claims-report.html", real=train, synthetic=synthetic)

Related tables get a relationship report (`report_relationship`): the same measures on the
child joined to its parent, and the children-per-parent distribution (`report.relationship`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lookalike.report.columns import ColumnsArgument
from lookalike.report.fidelity import ColumnMetrics, PairMetrics
from lookalike.report.metrics import MAX_ROWS, QualityMetrics, evaluate
from lookalike.report.models import DiscriminatorMetrics, UtilityMetrics
from lookalike.report.plots import ReportDependencyError
from lookalike.report.relationship import (
    ChildCounts,
    ChildrenPerParent,
    RelationshipMetrics,
    evaluate_relationship,
    relationship_summary,
    report_relationship,
    write_relationship_html,
)
from lookalike.report.render import text_summary, write_html

__all__ = [
    "ChildCounts", "ChildrenPerParent", "ColumnMetrics", "DiscriminatorMetrics", "PairMetrics",
    "QualityMetrics", "RelationshipMetrics", "ReportDependencyError", "UtilityMetrics", "evaluate",
    "evaluate_relationship", "relationship_summary", "report", "report_for_output",
    "report_relationship", "report_relationship_for_output", "text_summary", "write_html",
    "write_relationship_html",
]


def report(real: Any, synthetic: Any, path: str | Path, *, holdout: Any = None,
           target: str | None = None, columns: ColumnsArgument = None,
           max_rows: int = MAX_ROWS, seed: int = 0, title: str | None = None
           ) -> tuple[QualityMetrics, Path]:
    """`evaluate`, then `write_html`: the metrics and the path of the report."""
    metrics = evaluate(real, synthetic, holdout=holdout, target=target, columns=columns,
                       max_rows=max_rows, seed=seed)
    written = write_html(metrics, path, real=real, synthetic=synthetic,
                         title=title or "Synthetic data quality report")
    return metrics, written


def report_for_output(real_table: Any, synthetic_table: Any, folder: str | Path, name: str, *,
                      columns: ColumnsArgument = None, holdout: Any = None, seed: int = 0
                      ) -> Path:
    """The report of one output table of `generate_synthetic_data`: `folder/<name>.html`.

    `real_table` is the input the model learnt from and `synthetic_table` its output (pyarrow
    Tables); `columns` the model's `columns_` (ColumnSpecs) or per-column options. Without a
    `holdout` (real rows the model did not learn from) the report has fidelity and the
    discriminator, not the holdout reference or privacy."""
    path = Path(folder) / f"{_file_name(name)}.html"
    return report(real_table, synthetic_table, path, holdout=holdout, columns=columns, seed=seed,
                  title=f"Quality report: {name}")[1]


def _file_name(name: str) -> str:
    """A table name (`DB.SCHEMA.TABLE`, maybe quoted) as a safe file name."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name.replace('"', "")).strip("._")
    return cleaned or "report"


def report_relationship_for_output(real_parent: Any, real_child: Any, synthetic_parent: Any,
                                   synthetic_child: Any, folder: str | Path, *, parent: str,
                                   child: str, parent_key: str, child_key: str,
                                   parent_columns: Sequence[str] | None = None,
                                   child_columns: Sequence[str] | None = None,
                                   holdout_parent: Any = None, holdout_child: Any = None,
                                   seed: int = 0) -> Path:
    """The relationship report of two output tables of `generate_synthetic_data`, named after
    both: `folder/<parent>--<child>.html`; with the held-out families when there are some."""
    path = Path(folder) / f"{_file_name(parent)}--{_file_name(child)}.html"
    return report_relationship(
        real_parent, real_child, synthetic_parent, synthetic_child, path,
        parent_key=parent_key, child_key=child_key, parent_name=_short_name(parent),
        child_name=_short_name(child), parent_columns=parent_columns,
        child_columns=child_columns, holdout_parent=holdout_parent,
        holdout_child=holdout_child, seed=seed,
        title=f"Relationship report: {parent} → {child}")[1]


def _short_name(name: str) -> str:
    """The table part of `DB.SCHEMA.TABLE`: short prefixes for clashing column names."""
    return name.replace('"', "").rsplit(".", 1)[-1]
