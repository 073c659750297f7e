"""`evaluate`: every measure of a synthetic table against its real table, as typed metrics.

The real table is the one the synthesizer learnt (train); the holdout, when given, is real data it
never saw. The holdout gives the reference ("as good as fresh real data"), the test rows for ML
utility, and the comparison for privacy.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from lookalike.errors import InvalidOptionError, UnknownColumnError
from lookalike.metadata import ColumnSpec
from lookalike.report.columns import (
    ColumnsArgument,
    Prepared,
    as_table,
    check_columns,
    column_kinds,
    encode,
    sample_rows,
)
from lookalike.report.fidelity import (
    ColumnMetrics,
    PairMetrics,
    average,
    column_metrics,
    pair_metrics,
)
from lookalike.report.models import (
    FOLDS,
    DiscriminatorMetrics,
    UtilityMetrics,
    discriminator_auc,
    utility,
)

MAX_ROWS = 200_000  # rows per table for column shapes and pairs
PAIR_CELLS = 40_000_000  # rows x pairs: wide tables measure pairs on fewer rows
MIN_PAIR_ROWS = 20_000
DISCRIMINATOR_ROWS = 10_000  # rows per side
UTILITY_ROWS = 50_000
PRIVACY_ROWS = 5_000  # as the shared fidelity check; exact neighbours grow with its square


@dataclass
class QualityMetrics:
    """Everything a quality report shows, as numbers. Scores are in [0, 1], higher is better;
    `holdout_*` are the same scores for fresh real rows, the best a synthesizer can expect."""

    rows_real: int
    rows_synthetic: int
    rows_holdout: int | None
    columns: list[ColumnMetrics]
    pairs: list[PairMetrics]
    column_shapes: float
    column_pair_trends: float  # pairs with a real trend only, as SDMetrics (NaN: none has one)
    overall: float
    holdout_column_shapes: float | None = None
    holdout_column_pair_trends: float | None = None
    holdout_overall: float | None = None
    discriminator: DiscriminatorMetrics | None = None
    utility: UtilityMetrics | None = None
    privacy: Any | None = None  # lookalike.privacy.PrivacyMetrics
    privacy_note: str | None = None  # why there are no privacy metrics
    skipped: dict[str, str] = field(default_factory=dict)  # column -> why it is not compared
    notes: list[str] = field(default_factory=list)  # sampling, stated in the report
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def all_pair_trends(self) -> float:
        """Pair trends over every defined pair, trend or not (what SDMetrics before its
        thresholds reported)."""
        return average([p.score for p in self.pairs])

    @property
    def relative(self) -> float | None:
        """Overall score as a share of the holdout's: 1.0 is as good as fresh real data."""
        if self.holdout_overall is None or not self.holdout_overall:
            return None
        return self.overall / self.holdout_overall

    def worst_columns(self, count: int = 10) -> list[ColumnMetrics]:
        return sorted(self.columns, key=lambda c: -_or(c.distance, -1.0))[:count]

    def worst_pairs(self, count: int = 10) -> list[PairMetrics]:
        return sorted(self.pairs, key=lambda p: _or(p.score, 2.0))[:count]

    def summary(self) -> dict[str, float | None]:
        """The headline numbers, flat: what the terminal and the report's summary show."""
        out: dict[str, float | None] = {
            "overall": self.overall, "column_shapes": self.column_shapes,
            "column_pair_trends": self.column_pair_trends,
            "all_pair_trends": self.all_pair_trends,
            "holdout_overall": self.holdout_overall, "relative_to_holdout": self.relative,
            "discriminator_auc": self.discriminator.auc if self.discriminator else None,
            "holdout_discriminator_auc": (self.discriminator.holdout_auc
                                          if self.discriminator else None),
        }
        if self.utility:
            out.update(tstr=self.utility.tstr, trtr=self.utility.trtr)
        if self.privacy is not None:
            out.update({f"privacy_{key}": value for key, value in self.privacy.summary().items()})
        return {key: _clean(value) for key, value in out.items()}

    def to_dict(self) -> dict[str, Any]:
        """Every metric as plain JSON-ready values (no arrays: the privacy histograms' raw
        distances stay in `privacy`)."""
        out = {
            "rows": {"real": self.rows_real, "synthetic": self.rows_synthetic,
                     "holdout": self.rows_holdout},
            "summary": self.summary(),
            "columns": [{**asdict(c), "score": c.score} for c in self.columns],
            "pairs": [asdict(p) for p in self.pairs],
            "discriminator": asdict(self.discriminator) if self.discriminator else None,
            "utility": asdict(self.utility) if self.utility else None,
            "privacy": self.privacy.summary() if self.privacy is not None else None,
            "privacy_note": self.privacy_note,
            "skipped": self.skipped, "notes": self.notes, "seconds": self.seconds,
        }
        return _clean(out)


def evaluate(real: Any, synthetic: Any, *, holdout: Any = None, target: str | None = None,
             columns: ColumnsArgument = None, max_rows: int = MAX_ROWS, seed: int = 0
             ) -> QualityMetrics:
    """Measure `synthetic` against `real` (pandas DataFrames or pyarrow Tables).

    `holdout`: real rows the synthesizer never saw; adds the fresh-data reference, ML utility and
    privacy. `target`: a column to predict for ML utility (needs a holdout). `columns`: names to
    compare, or per-column options / ColumnSpecs overriding the detected kinds. Tables larger
    than `max_rows` are sampled (uniformly, with `seed`), and the report says so.
    """
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    real_table, synthetic_table = as_table(real, "real"), as_table(synthetic, "synthetic")
    holdout_table = None if holdout is None else as_table(holdout, "holdout")
    kinds, skipped, specs = column_kinds(real_table, columns)
    if not kinds:
        raise InvalidOptionError("no column of the real table can be compared "
                                 f"({'; '.join(f'{k}: {v}' for k, v in skipped.items())})")
    check_columns(synthetic_table, list(kinds), "synthetic")
    if holdout_table is not None:
        check_columns(holdout_table, list(kinds), "holdout")
    _check_target(target, kinds, skipped, holdout_table)
    notes: list[str] = []

    tables = [_sampled(real_table, "real", max_rows, seed, notes),
              _sampled(synthetic_table, "synthetic", max_rows, seed + 1, notes)]
    if holdout_table is not None:
        tables.append(_sampled(holdout_table, "holdout", max_rows, seed + 2, notes))
    encoded = encode(tables, kinds)
    versus_synthetic = _versus(encoded, 1)
    versus_holdout = _versus(encoded, 2) if holdout_table is not None else None
    seconds["prepare"] = time.perf_counter() - started

    tick = time.perf_counter()
    column_results = column_metrics(versus_synthetic, versus_holdout)
    pair_rows = _pair_rows(len(kinds), max_rows)
    if pair_rows < max(len(table) for table in tables):
        notes.append(f"column pairs measured on {pair_rows:,} sampled rows per table "
                     f"({len(kinds) * (len(kinds) - 1) // 2:,} pairs)")
    pair_results = pair_metrics(_head(versus_synthetic, pair_rows, seed),
                                _head(versus_holdout, pair_rows, seed))
    seconds["fidelity"] = time.perf_counter() - tick

    shapes = average([c.score for c in column_results])
    trends = average([p.score for p in pair_results if p.counted])
    metrics = QualityMetrics(
        rows_real=real_table.num_rows, rows_synthetic=synthetic_table.num_rows,
        rows_holdout=None if holdout_table is None else holdout_table.num_rows,
        columns=column_results, pairs=pair_results, column_shapes=shapes,
        column_pair_trends=trends, overall=average([shapes, trends]),
        skipped=skipped, notes=notes, seconds=seconds)
    if holdout_table is not None:
        metrics.holdout_column_shapes = average(
            [1 - c.holdout_distance for c in column_results if c.holdout_distance is not None])
        metrics.holdout_column_pair_trends = average(
            [p.holdout_score for p in pair_results if p.counted and p.holdout_score is not None])
        metrics.holdout_overall = average(
            [metrics.holdout_column_shapes, metrics.holdout_column_pair_trends])

    tick = time.perf_counter()
    metrics.discriminator = _discriminator(versus_synthetic, versus_holdout, seed, notes)
    seconds["discriminator"] = time.perf_counter() - tick

    if target is not None and holdout_table is not None:
        tick = time.perf_counter()
        metrics.utility = utility(encoded, target, max_rows=UTILITY_ROWS, seed=seed)
        if max(len(table) for table in tables) > UTILITY_ROWS:
            notes.append(f"ML utility models trained and tested on at most {UTILITY_ROWS:,} "
                         f"sampled rows")
        seconds["utility"] = time.perf_counter() - tick

    tick = time.perf_counter()
    metrics.privacy, metrics.privacy_note = _privacy(
        real_table, holdout_table, synthetic_table, specs, seed, notes)
    seconds["privacy"] = time.perf_counter() - tick
    seconds["total"] = time.perf_counter() - started
    return metrics


def _check_target(target: str | None, kinds: dict[str, str], skipped: dict[str, str],
                  holdout: pa.Table | None) -> None:
    if target is None:
        return
    if target in skipped:
        raise InvalidOptionError(f"target {target!r} is not compared ({skipped[target]}); "
                                 f"pick a number or category column")
    if target not in kinds:
        raise UnknownColumnError(f"no target column {target!r} in the real table "
                                 f"(columns: {', '.join(kinds)})")
    if holdout is None:
        raise InvalidOptionError(
            f"ML utility for target {target!r} needs a holdout: real rows the synthesizer never "
            f"saw, to test on (holdout=, or --holdout on the command line)")
    if len(kinds) < 2:
        raise InvalidOptionError(f"ML utility for target {target!r} needs another column to "
                                 f"predict it from")


def _sampled(table: pa.Table, role: str, max_rows: int, seed: int, notes: list[str]) -> pa.Table:
    if table.num_rows > max_rows:
        notes.append(f"{role} table: {max_rows:,} of {table.num_rows:,} rows sampled uniformly "
                     f"for column shapes and pairs")
    return sample_rows(table, max_rows, seed)


def _versus(encoded: list, side: int) -> list[Prepared]:
    return [Prepared(name, kind, arrays[0], arrays[side], labels)
            for name, kind, arrays, labels in encoded]


def _pair_rows(columns: int, max_rows: int) -> int:
    pairs = max(1, columns * (columns - 1) // 2)
    return min(max_rows, max(MIN_PAIR_ROWS, PAIR_CELLS // pairs))


def _head(columns: list[Prepared] | None, rows: int, seed: int) -> list[Prepared] | None:
    """At most `rows` rows of each side, sampled uniformly (all columns alike)."""
    if columns is None:
        return None
    rng = np.random.default_rng(seed)
    take = [None, None]
    for side, n in enumerate((len(columns[0].real), len(columns[0].other))):
        if n > rows:
            take[side] = np.sort(rng.choice(n, rows, replace=False))
    if take == [None, None]:
        return columns
    pick = lambda values, rows_: values if rows_ is None else values[rows_]
    return [Prepared(c.name, c.kind, pick(c.real, take[0]), pick(c.other, take[1]), c.labels)
            for c in columns]


def _discriminator(versus_synthetic: list[Prepared], versus_holdout: list[Prepared] | None,
                   seed: int, notes: list[str]) -> DiscriminatorMetrics | None:
    auc, rows = discriminator_auc(versus_synthetic, max_rows=DISCRIMINATOR_ROWS, seed=seed)
    holdout_auc = None
    if versus_holdout is not None:
        holdout_auc = discriminator_auc(versus_holdout, max_rows=DISCRIMINATOR_ROWS, seed=seed)[0]
    if rows == DISCRIMINATOR_ROWS:
        notes.append(f"discriminator trained on {rows:,} sampled rows of each table")
    return DiscriminatorMetrics(auc=auc, rows_per_side=rows, folds=min(FOLDS, rows),
                                holdout_auc=holdout_auc)


def _privacy(train: pa.Table, holdout: pa.Table | None, synthetic: pa.Table,
             specs: list[ColumnSpec], seed: int, notes: list[str]
             ) -> tuple[Any | None, str | None]:
    if holdout is None:
        return None, "privacy metrics need a holdout (real rows the synthesizer never saw)"
    try:
        from lookalike.privacy import privacy_metrics
    except ImportError as error:
        return None, f"privacy metrics unavailable ({error})"
    names = [spec.name for spec in specs]
    result = privacy_metrics(train.select(names), holdout.select(names), synthetic.select(names),
                             columns=specs, max_rows=PRIVACY_ROWS, seed=seed)
    if max(train.num_rows, holdout.num_rows, synthetic.num_rows) > PRIVACY_ROWS:
        notes.append(f"privacy distances measured on at most {result.rows_used:,} sampled rows")
    return result, None


def _or(value: float | None, default: float) -> float:
    return default if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _clean(value: Any) -> Any:
    """JSON-ready: NaN and infinities as None, numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {str(key): _clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
