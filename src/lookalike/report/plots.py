"""The report's figures: matplotlib, drawn without pyplot (no global state, no display) and
embedded as SVG data URIs, so the HTML file needs nothing from the network.

Every function takes plain numbers and returns a `data:image/svg+xml;base64,...` string.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np

from lookalike.errors import LookalikeError

REAL, SYNTHETIC, HOLDOUT, DIFFERENCE = "#1f5f8b", "#e07b39", "#7a9a3a", "#b03a48"
MAX_BARS = 15  # categories shown per column; the rest are summed as "(other)"
HIST_BINS = 30
FONT = {"font.size": 8, "axes.titlesize": 9, "svg.fonttype": "none",
        "svg.hashsalt": "lookalike", "axes.spines.top": False, "axes.spines.right": False}


class ReportDependencyError(LookalikeError, ImportError):
    """Rendering a report needs jinja2 and matplotlib (the `report` extra)."""


def require(module: str):
    """Import `module` or fail with how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ReportDependencyError(
            f"rendering a quality report needs {module.split('.')[0]}: "
            f"pip install 'lookalike[report]' (jinja2 and matplotlib)") from error


def _figure(width: float, height: float):
    figure_module = require("matplotlib.figure")
    return figure_module.Figure(figsize=(width, height), layout="constrained")


def _svg(figure) -> str:
    matplotlib = require("matplotlib")
    buffer = io.BytesIO()
    with matplotlib.rc_context(FONT):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _styled(draw):
    """Run `draw` (which builds and returns a figure) under the report's style."""
    def wrapper(*args, **kwargs) -> str:
        matplotlib = require("matplotlib")
        with matplotlib.rc_context(FONT):
            return _svg(draw(*args, **kwargs))
    wrapper.__doc__ = draw.__doc__
    wrapper.__name__ = draw.__name__
    return wrapper


# -- one column -----------------------------------------------------------------------------------


@_styled
def numeric_distribution(real: np.ndarray, synthetic: np.ndarray, *, title: str,
                         is_date: bool = False):
    """Histograms of real and synthetic values (density; shared bins over the real values'
    0.5-99.5% range, widened to the synthetic values' range within the real extremes)."""
    figure = _figure(4.2, 2.4)
    axes = figure.add_subplot()
    real, synthetic = real[~np.isnan(real)], synthetic[~np.isnan(synthetic)]
    if len(real):
        low, high = np.quantile(real, [0.005, 0.995])
        if low == high:
            low, high = real.min() - 0.5, real.max() + 0.5
        distinct = np.unique(real)
        if (len(distinct) <= HIST_BINS and np.allclose(distinct, np.round(distinct))
                and distinct.max() - distinct.min() <= 2 * HIST_BINS):
            edges = np.arange(distinct.min() - 0.5, distinct.max() + 1.5)  # one bar per integer
        else:
            edges = np.linspace(low, high, HIST_BINS + 1)
        for values, colour, label in ((real, REAL, "real"), (synthetic, SYNTHETIC, "synthetic")):
            if len(values):
                axes.hist(np.clip(values, edges[0], edges[-1]), bins=edges, density=True,
                          histtype="stepfilled", alpha=0.45, color=colour, label=label)
                axes.hist(np.clip(values, edges[0], edges[-1]), bins=edges, density=True,
                          histtype="step", color=colour, linewidth=1)
        if is_date:
            axes.xaxis_date()  # values are days since 1970-01-01, matplotlib's date numbers
            figure.autofmt_xdate()
    axes.set_yticks([])
    axes.set_title(title, loc="left")
    axes.legend(frameon=False, loc="upper right")
    return figure


@_styled
def category_distribution(real: np.ndarray, synthetic: np.ndarray, labels: Sequence[str], *,
                          title: str):
    """Side-by-side bars of category shares (NULL left out; the most common real categories,
    the rest summed as "(other)")."""
    figure = _figure(4.2, 2.4)
    axes = figure.add_subplot()
    size = len(labels)
    shares = []
    for codes in (real, synthetic):
        present = codes[codes >= 0]
        counts = np.bincount(present, minlength=size).astype(float)
        shares.append(counts / max(len(present), 1))
    order = np.argsort(-(shares[0] + 1e-9 * shares[1]), kind="stable")
    shown = order[:MAX_BARS]
    names = [_short(labels[i]) for i in shown]
    heights = [share[shown] for share in shares]
    if size > MAX_BARS:
        names.append("(other)")
        heights = [np.append(h, share[order[MAX_BARS:]].sum())
                   for h, share in zip(heights, shares, strict=True)]
    positions = np.arange(len(names))
    axes.bar(positions - 0.2, heights[0], 0.4, color=REAL, label="real")
    axes.bar(positions + 0.2, heights[1], 0.4, color=SYNTHETIC, label="synthetic")
    axes.set_xticks(positions, names, rotation=35 if len(names) > 4 else 0, ha="right"
                    if len(names) > 4 else "center")
    axes.set_title(title, loc="left")
    axes.legend(frameon=False, loc="upper right")
    return figure


def _short(label: str, width: int = 18) -> str:
    return label if len(label) <= width else label[:width - 1] + "…"


@_styled
def column_scores(names: Sequence[str], scores: Sequence[float], kinds: Sequence[str]):
    """Horizontal bars of each column's shape score, worst at the top."""
    figure = _figure(6.5, 0.5 + 0.18 * len(names))
    axes = figure.add_subplot()
    positions = np.arange(len(names))[::-1]
    colours = [REAL if kind == "category" else SYNTHETIC for kind in kinds]
    axes.barh(positions, np.nan_to_num(scores), color=colours)
    axes.set_yticks(positions, [_short(n, 28) for n in names])
    axes.set_xlim(min(0.5, float(np.nanmin(scores)) - 0.05 if len(scores) else 0.5), 1.0)
    axes.set_xlabel("score (1 - KS statistic or total variation); orange: numbers and dates, "
                    "blue: categories")
    return figure


# -- pairs ----------------------------------------------------------------------------------------


@_styled
def association_heatmaps(names: Sequence[str], real: np.ndarray, synthetic: np.ndarray):
    """Three panels: the real associations, the synthetic ones, and their absolute difference.
    Associations are Pearson's r (number pairs, -1..1), Cramér's V and the correlation ratio
    (0..1); NaN where undefined."""
    size = len(names)
    side = max(2.6, min(5.0, 0.16 * size + 1.2))
    figure = _figure(3 * side + 0.8, side + 0.4)
    panels = figure.subplots(1, 3)
    cmap = "RdBu_r"
    difference = np.abs(real - synthetic)
    top = float(np.nanmax(difference)) if np.isfinite(difference).any() else 0.0
    for axes, matrix, title, map_, limits in (
        (panels[0], real, "real", cmap, (-1, 1)),
        (panels[1], synthetic, "synthetic", cmap, (-1, 1)),
        (panels[2], difference, "|real - synthetic|", "Reds", (0, max(0.1, top))),
    ):
        image = axes.imshow(np.ma.masked_invalid(matrix), cmap=map_, vmin=limits[0],
                            vmax=limits[1], interpolation="nearest")
        axes.set_title(title)
        labels = [_short(n, 16) for n in names] if size <= 40 else [""] * size
        axes.set_xticks(range(size), labels, rotation=90, fontsize=6)
        axes.set_yticks(range(size), labels if axes is panels[0] else [""] * size, fontsize=6)
        axes.spines[:].set_visible(False)
        figure.colorbar(image, ax=axes, shrink=0.7)
    return figure


# -- relationships --------------------------------------------------------------------------------


@_styled
def children_per_parent(real: Sequence[float], synthetic: Sequence[float], *, title: str):
    """Side-by-side bars: the share of parents with 0, 1, 2, ... children, real and synthetic.
    Counts past MAX_BARS share the last bar ("15+"), so one prolific parent cannot squash the
    rest of the plot."""
    size = max(len(real), len(synthetic))
    shares = [np.pad(np.asarray(side, dtype=float), (0, size - len(side)))
              for side in (real, synthetic)]
    names = [str(count) for count in range(min(size, MAX_BARS))]
    if size > MAX_BARS:
        shares = [np.append(side[:MAX_BARS], side[MAX_BARS:].sum()) for side in shares]
        names.append(f"{MAX_BARS}+")
    figure = _figure(4.2, 2.4)
    axes = figure.add_subplot()
    positions = np.arange(len(names))
    axes.bar(positions - 0.2, shares[0], 0.4, color=REAL, label="real")
    axes.bar(positions + 0.2, shares[1], 0.4, color=SYNTHETIC, label="synthetic")
    axes.set_xticks(positions, names)
    axes.set_xlabel("children per parent")
    axes.set_ylabel("share of parents")
    axes.set_title(title, loc="left")
    axes.legend(frameon=False, loc="upper right")
    return figure


# -- models ---------------------------------------------------------------------------------------


@_styled
def score_bars(labels: Sequence[str], values: Sequence[float], colours: Sequence[str], *,
               reference: float | None = None, limits: tuple[float, float] = (0, 1),
               xlabel: str = ""):
    """A few horizontal bars (e.g. AUCs), with an optional dashed reference line."""
    figure = _figure(4.2, 0.5 + 0.35 * len(labels))
    axes = figure.add_subplot()
    positions = np.arange(len(labels))[::-1]
    axes.barh(positions, np.nan_to_num(values), color=colours)
    for position, value in zip(positions, values, strict=True):
        if np.isfinite(value):
            axes.text(value, position, f" {value:.3f}", va="center")
    if reference is not None:
        axes.axvline(reference, color="#555", linestyle="--", linewidth=1)
    axes.set_yticks(positions, labels)
    axes.set_xlim(*limits)
    axes.set_xlabel(xlabel)
    return figure


@_styled
def importances(names: Sequence[str], synthetic: Sequence[float], real: Sequence[float]):
    """Permutation importances of the model trained on synthetic rows beside the one trained on
    real rows, both tested on the holdout."""
    figure = _figure(6.5, 0.6 + 0.22 * len(names))
    axes = figure.add_subplot()
    positions = np.arange(len(names))[::-1]
    axes.barh(positions + 0.2, real, 0.4, color=REAL, label="trained on real (TRTR)")
    axes.barh(positions - 0.2, synthetic, 0.4, color=SYNTHETIC,
              label="trained on synthetic (TSTR)")
    axes.set_yticks(positions, [_short(n, 28) for n in names])
    axes.axvline(0, color="#555", linewidth=0.8)
    axes.set_xlabel("drop in holdout score when the column is shuffled")
    axes.legend(frameon=False, loc="lower right")
    return figure


@_styled
def distance_histograms(synthetic: np.ndarray, holdout: np.ndarray, *, title: str,
                        xlabel: str, upper: float | None = None):
    """Histograms of a distance (DCR or NNDR) for synthetic rows and for holdout rows."""
    figure = _figure(4.2, 2.4)
    axes = figure.add_subplot()
    values = np.concatenate([synthetic, holdout])
    values = values[np.isfinite(values)]
    high = upper if upper is not None else (float(np.quantile(values, 0.99)) if len(values)
                                            else 1.0)
    edges = np.linspace(0, high if high > 0 else 1.0, HIST_BINS + 1)
    for sample, colour, label in ((holdout, HOLDOUT, "holdout rows (fresh real data)"),
                                  (synthetic, SYNTHETIC, "synthetic rows")):
        sample = sample[np.isfinite(sample)]
        if len(sample):
            axes.hist(np.clip(sample, edges[0], edges[-1]), bins=edges, density=True,
                      histtype="stepfilled", alpha=0.45, color=colour, label=label)
    axes.set_yticks([])
    axes.set_title(title, loc="left")
    axes.set_xlabel(xlabel)
    axes.legend(frameon=False, loc="upper right")
    return figure
