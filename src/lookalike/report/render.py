"""Render `QualityMetrics`: one self-contained HTML file (jinja2 template, matplotlib figures as
inline SVG, no script and no link to the network), or a plain-text summary for the terminal.

Wide tables get the most informative plots only: the columns that moved most, the columns of
the pairs that moved most. Everything is still in the tables of the report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lookalike import __version__
from lookalike.report import plots
from lookalike.report.columns import CATEGORY, DATE, as_table, prepare, sample_rows
from lookalike.report.fidelity import PairMetrics
from lookalike.report.metrics import QualityMetrics

MAX_COLUMN_PLOTS = 24
MAX_HEATMAP_COLUMNS = 30
MAX_LISTED_PAIRS = 15
MAX_IMPORTANCES = 20
PLOT_ROWS = 100_000  # rows per table behind the distribution plots


def write_html(metrics: QualityMetrics, path: str | Path, *, real: Any = None,
               synthetic: Any = None, title: str = "Synthetic data quality report") -> Path:
    """Write the report to `path` and return it. `real` and `synthetic` (the tables `evaluate`
    compared) give the per-column distribution plots; without them the report has the numbers
    only."""
    return save_page(render_page(metrics, real=real, synthetic=synthetic, title=title), path)


def render_page(metrics: QualityMetrics, *, real: Any = None, synthetic: Any = None,
                title: str = "Synthetic data quality report", **sections: Any) -> str:
    """The report as HTML text. `sections` reach the template as they are: the relationship
    report adds its section this way (`relationship=...`), so both reports share one page."""
    jinja2 = plots.require("jinja2")
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("lookalike.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    environment.filters["pct"] = _pct
    environment.filters["num"] = _num
    return environment.get_template("report.html.j2").render(
        title=title, m=metrics, version=__version__,
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        verdict=verdict(metrics), **_figures(metrics, real, synthetic), **sections)


def save_page(page: str, path: str | Path) -> Path:
    """Write `page` to `path` whole or not at all (a reader never sees half a report)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(path)
    return path


# -- what to show ---------------------------------------------------------------------------------


def _figures(metrics: QualityMetrics, real: Any, synthetic: Any) -> dict[str, Any]:
    ordered = metrics.worst_columns(len(metrics.columns))
    shown = ordered[:MAX_COLUMN_PLOTS]
    out: dict[str, Any] = {
        "column_plot_note": (
            f"Distribution plots for the {len(shown)} of {len(ordered)} columns that moved most; "
            f"every column is in the table above." if len(ordered) > len(shown) else ""),
        "column_scores_plot": plots.column_scores(
            [c.name for c in ordered[:60]], [c.score for c in ordered[:60]],
            [c.kind for c in ordered[:60]]) if ordered else None,
        "column_plots": _distribution_plots(shown, real, synthetic),
        "worst_pairs": metrics.worst_pairs(MAX_LISTED_PAIRS),
    }
    names = heatmap_columns(metrics.pairs, [c.name for c in metrics.columns], MAX_HEATMAP_COLUMNS)
    out["heatmap_note"] = (
        f"Heatmaps of the {len(names)} of {len(metrics.columns)} columns taking part in the "
        f"pairs that moved most." if len(names) < len(metrics.columns) else "")
    out["heatmaps"] = plots.association_heatmaps(names, *association_matrices(
        metrics.pairs, names)) if len(names) >= 2 else None
    out.update(_model_figures(metrics))
    return out


def _distribution_plots(columns, real: Any, synthetic: Any) -> list[dict[str, Any]]:
    if real is None or synthetic is None or not columns:
        return []
    kinds = {column.name: column.kind for column in columns}
    real_table = sample_rows(as_table(real, "real"), PLOT_ROWS, 0)
    synthetic_table = sample_rows(as_table(synthetic, "synthetic"), PLOT_ROWS, 1)
    prepared = {p.name: p for p in prepare(real_table, synthetic_table, kinds)}
    out = []
    for column in columns:
        data = prepared[column.name]
        title = f"{column.name}"
        if data.kind == CATEGORY:
            image = plots.category_distribution(data.real, data.other, data.labels, title=title)
        else:
            image = plots.numeric_distribution(data.real, data.other, title=title,
                                               is_date=data.kind == DATE)
        out.append({"column": column, "image": image})
    return out


def heatmap_columns(pairs: Sequence[PairMetrics], names: Sequence[str], limit: int) -> list[str]:
    """All columns when few; else those in the pairs whose association moved most (then the
    strongest real associations), in table order."""
    if len(names) <= limit:
        return list(names)
    weight = {name: 0.0 for name in names}
    for pair in pairs:
        moved = pair.association_difference or 0.0
        strength = abs(pair.real_association or 0.0)
        for name in (pair.column_1, pair.column_2):
            weight[name] = max(weight[name], moved + 0.01 * strength)
    chosen = set(sorted(names, key=lambda n: -weight[n])[:limit])
    return [name for name in names if name in chosen]


def association_matrices(pairs: Sequence[PairMetrics], names: Sequence[str]
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Real and synthetic association matrices over `names` (1 on the diagonal)."""
    index = {name: i for i, name in enumerate(names)}
    real, synthetic = (np.full((len(names), len(names)), np.nan) for _ in range(2))
    np.fill_diagonal(real, 1.0)
    np.fill_diagonal(synthetic, 1.0)
    for pair in pairs:
        if pair.column_1 in index and pair.column_2 in index:
            i, j = index[pair.column_1], index[pair.column_2]
            for matrix, value in ((real, pair.real_association),
                                  (synthetic, pair.synthetic_association)):
                matrix[i, j] = matrix[j, i] = np.nan if value is None else value
    return real, synthetic


def _model_figures(metrics: QualityMetrics) -> dict[str, Any]:
    out: dict[str, Any] = {}
    d = metrics.discriminator
    if d is not None:
        labels, values, colours = ["synthetic vs real"], [d.auc], [plots.SYNTHETIC]
        if d.holdout_auc is not None:
            labels.append("holdout vs real")
            values.append(d.holdout_auc)
            colours.append(plots.HOLDOUT)
        out["discriminator_plot"] = plots.score_bars(
            labels, values, colours, reference=0.5, xlabel="AUC (0.5: indistinguishable)")
    u = metrics.utility
    if u is not None:
        out["utility_plot"] = plots.score_bars(
            ["trained on real (TRTR)", "trained on synthetic (TSTR)"], [u.trtr, u.tstr],
            [plots.REAL, plots.SYNTHETIC],
            limits=(min(0.0, u.tstr, u.trtr) if u.measure == "R2" else 0.0, 1.0),
            xlabel=f"{u.measure} on the real holdout")
        names = sorted(u.importances_real, key=lambda n: -max(u.importances_real[n],
                                                                u.importances_synthetic[n]))
        names = names[:MAX_IMPORTANCES]
        out["importance_plot"] = plots.importances(
            names, [u.importances_synthetic[n] for n in names],
            [u.importances_real[n] for n in names]) if names else None
    p = metrics.privacy
    if p is not None:
        out["dcr_plot"] = plots.distance_histograms(
            p.dcr_synthetic, p.dcr_holdout, title="distance to the closest training row (DCR)",
            xlabel="distance")
        out["nndr_plot"] = plots.distance_histograms(
            p.nndr_synthetic, p.nndr_holdout, upper=1.0,
            title="nearest / second-nearest training distance (NNDR)", xlabel="ratio")
    return out


# -- words ----------------------------------------------------------------------------------------


def verdict(metrics: QualityMetrics) -> list[str]:
    """A few plain sentences on what the numbers mean."""
    out = []
    if metrics.relative is not None:
        out.append(f"Fidelity is {_pct(metrics.relative)} of what fresh real data reaches "
                   f"({_pct(metrics.overall)} against {_pct(metrics.holdout_overall)}).")
    d = metrics.discriminator
    if d is not None:
        if d.auc < 0.4:
            out.append("The discriminator scores well below 0.5, which can mean synthetic rows "
                       "sit close to single real rows (a near copy is classed as its real "
                       "twin); check the privacy section.")
        elif d.auc <= 0.6:
            out.append("A classifier can hardly tell synthetic rows from real ones.")
        else:
            out.append("A classifier tells many synthetic rows from real ones; the columns and "
                       "pairs that moved most are listed below.")
    u = metrics.utility
    if u is not None and u.trtr:
        out.append(f"A model trained on synthetic rows reaches {_pct(u.ratio)} of the "
                   f"{u.measure} of one trained on real rows, predicting {u.target}.")
    if metrics.privacy is not None:
        p = metrics.privacy
        out.append(f"DCR share {p.dcr_share:.3f} (0.5: synthetic rows are no closer to the "
                   f"training rows than fresh real rows are); exact copies "
                   f"{_pct(p.exact_copy_rate)} against {_pct(p.holdout_exact_copy_rate)} for "
                   f"the holdout.")
    return out


def text_summary(metrics: QualityMetrics, *, columns: int = 5, pairs: int = 5) -> str:
    """The summary for the terminal."""
    m = metrics
    rows = f"{m.rows_real:,} real rows, {m.rows_synthetic:,} synthetic"
    if m.rows_holdout is not None:
        rows += f", {m.rows_holdout:,} holdout"
    counted = sum(1 for p in m.pairs if p.counted)
    lines = [f"Quality of synthetic data ({rows})",
             f"  overall              {_pct(m.overall):>7}{_ref(m.holdout_overall)}",
             f"  column shapes        {_pct(m.column_shapes):>7}{_ref(m.holdout_column_shapes)}",
             (f"  column pair trends   {_pct(m.column_pair_trends):>7}"
             f"{_ref(m.holdout_column_pair_trends)}  ({counted} of {len(m.pairs)} pairs have a "
             f"real trend; all pairs {_pct(m.all_pair_trends)})")]
    if m.relative is not None:
        lines.append(f"  vs fresh real data   {_pct(m.relative):>7}  (100% = as good as the "
                     f"holdout)")
    if m.discriminator is not None:
        d = m.discriminator
        lines.append(f"  discriminator AUC    {d.auc:>7.3f}"
                     + (f"  (holdout {d.holdout_auc:.3f})" if d.holdout_auc is not None else "")
                     + "  0.5 = indistinguishable")
    if m.utility is not None:
        u = m.utility
        lines.append(f"  ML utility           TSTR {u.measure} {u.tstr:.3f} vs TRTR {u.trtr:.3f}"
                     f" ({_pct(u.ratio)}), target {u.target}")
    if m.privacy is not None:
        p = m.privacy
        lines.append(f"  privacy              DCR share {p.dcr_share:.3f} (ideal 0.5), exact "
                     f"copies {_pct(p.exact_copy_rate)} (holdout "
                     f"{_pct(p.holdout_exact_copy_rate)}), membership AUC {p.mia_auc:.3f}")
    elif m.privacy_note:
        lines.append(f"  privacy              {m.privacy_note}")
    worst = [c for c in m.worst_columns(columns) if not _nan(c.distance)]
    if worst:
        lines.append("  columns that moved most: " + ", ".join(
            f"{c.name} {c.distance:.3f}" for c in worst))
    worst_pairs = [p for p in m.worst_pairs(pairs) if not _nan(p.score)]
    if worst_pairs:
        lines.append("  pairs that moved most: " + ", ".join(
            f"{p.column_1}/{p.column_2} {p.score:.3f}" for p in worst_pairs))
    for name, reason in m.skipped.items():
        lines.append(f"  not compared: {name} ({reason})")
    for note in m.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines) + "\n"


def _ref(value: float | None) -> str:
    return "" if value is None else f"  (holdout {_pct(value)})"


def _nan(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _pct(value: float | None) -> str:
    return "n/a" if _nan(value) else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if _nan(value) else f"{value:.{digits}f}"
