"""The similarity filter for tables related by join keys.

A *family* is a row of a table without a parent and every row that descends from it through
primary relationships (a customer and their claims). The filter works family by family:

1. Split (`split_families`): 20% of the families are held out, each as a whole, so that a
   held-out claim's customer is never among the training rows and holdout-to-train distances
   are as honest as for one table. Orphans (child rows whose key has no parent row, or is NULL)
   are families of their own. Without a table of at least 500 rows at the top, nothing is held
   out and every table calibrates leave-one-out, as one table would.
2. Calibrate each table on its own columns (`filter.calibrate`); join keys are pseudonyms and do
   not count.
3. Sample (`filtered_family_sample`), parents first: a parent row too close to a real row is
   replaced by a new parent row *before* its children are drawn, so its children are drawn for
   the new row; a child row too close is drawn again given the same synthetic parent row. Keys
   are dealt afterwards, so every key joins, and the tables without a parent have exactly the
   rows asked for (children follow from their parents, as without the filter).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lookalike.multitable.relations import Relationship, order_tables
from lookalike.multitable.synthesizer import COUNT_PREFIX, MultiTableSynthesizer
from lookalike.privacy.filter import (
    HOLDOUT_FRACTION,
    MIN_HOLDOUT_TABLE_ROWS,
    Calibration,
    FilterOptions,
    FilterReport,
    SimilarityFilterError,
    calibrate,
    too_close,
)

Tables = dict[str, pa.Table]


def split_families(tables: Mapping[str, pa.Table], relationships: Sequence[Relationship], *,
                   fraction: float = HOLDOUT_FRACTION, min_rows: int = MIN_HOLDOUT_TABLE_ROWS,
                   seed: int | None = 0) -> tuple[Tables, Tables | None]:
    """(train, holdout) tables by name, whole families held out (see the module doc); (tables,
    None) when a table without a parent has fewer than `min_rows` rows."""
    order = order_tables(list(tables), relationships)
    primary = {r.child: r for r in relationships if r.primary}
    if any(tables[name].num_rows < min_rows for name in order if name not in primary):
        return dict(tables), None
    rng = np.random.default_rng(seed)
    held: dict[str, np.ndarray] = {}
    for name in order:
        held[name] = _held_rows(tables, primary.get(name), held, tables[name].num_rows,
                                fraction, rng)
    train = {name: tables[name].filter(pa.array(~held[name])) for name in tables}
    holdout = {name: tables[name].filter(pa.array(held[name])) for name in tables}
    return train, holdout


def _held_rows(tables: Mapping[str, pa.Table], parent: Relationship | None,
               held: Mapping[str, np.ndarray], rows: int, fraction: float,
               rng: np.random.Generator) -> np.ndarray:
    """A root's or orphan's rows are held out at random; a child's go with their parent."""
    chance = np.zeros(rows, dtype=bool)
    chance[rng.choice(rows, round(fraction * rows), replace=False)] = True
    if parent is None:
        return chance
    parent_keys = tables[parent.parent].column(parent.parent_key)
    child_keys = tables[parent.child].column(parent.child_key)
    held_keys = parent_keys.filter(pa.array(held[parent.parent])).combine_chunks()
    # a NULL key joins no parent (as in SQL): such a child is a family of its own
    with_parent = _mask(pc.is_in(child_keys, value_set=parent_keys.combine_chunks(),
                                 skip_nulls=True))
    held_child = _mask(pc.is_in(child_keys, value_set=held_keys, skip_nulls=True))
    return np.where(with_parent, held_child, chance)


def _mask(values: pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(values, False).to_numpy(zero_copy_only=False).astype(bool)


@dataclass
class TableCheck:
    """One table's calibration, and a count of what the filter did to its rows."""

    calibration: Calibration
    requested: int | None = None  # rows of the first draw
    counts: dict[str, int] = field(default_factory=lambda: {"checked": 0, "dcr": 0, "nndr": 0})
    rounds: int = 0

    def __call__(self, rows: pa.Table) -> np.ndarray:
        """The rows too close to a real row (the rule of `lookalike.privacy.filter`)."""
        by_distance, by_ratio = too_close(self.calibration, rows)
        if self.requested is None:
            self.requested = rows.num_rows
        self.rounds += 1
        self.counts["checked"] += rows.num_rows
        self.counts["dcr"] += int(by_distance.sum())
        self.counts["nndr"] += int(by_ratio.sum())
        return by_distance | by_ratio

    def report(self, returned: int) -> FilterReport:
        calibration, requested = self.calibration, self.requested or 0
        return FilterReport(
            rows_requested=requested, rows_returned=returned,
            rows_checked=self.counts["checked"],
            rows_dropped=self.counts["dcr"] + self.counts["nndr"],
            rows_dropped_dcr=self.counts["dcr"], rows_dropped_nndr=self.counts["nndr"],
            dcr_threshold=calibration.dcr_threshold, nndr_threshold=calibration.nndr_threshold,
            dcr_quantile=calibration.options.dcr_quantile, rounds=self.rounds,
            calibration=calibration.source, calibration_rows=calibration.rows)


def filtered_family_sample(model: MultiTableSynthesizer, train: Mapping[str, pa.Table],
                           holdout: Mapping[str, pa.Table] | None,
                           num_rows: Mapping[str, int] | None = None, *,
                           options: FilterOptions | None = None,
                           keys: Mapping[str, Collection[str]] | None = None
                           ) -> tuple[Tables, dict[str, FilterReport]]:
    """Synthetic tables none of whose rows is too close to a training row of its table, and
    what the filter did per table. `model` is fitted on `train`; `keys` names each table's
    join-key columns, left out of the distance (every table's `model.tables_[...].keys` too)."""
    options = options or FilterOptions()
    checks = {name: TableCheck(_calibrate_table(model, name, train, holdout, options, keys))
              for name in model.order_}
    synthetic = model.sample(num_rows, reject=lambda name, rows: checks[name](rows),
                             rounds=options.max_rounds if options.top_up else 1)
    reports = {name: checks[name].report(synthetic[name].num_rows) for name in model.order_}
    short = {name: r for name, r in reports.items() if r.rows_returned < r.rows_requested}
    if options.top_up and short:
        raise _too_many_dropped(short, options)
    return synthetic, reports


def own_columns(model: MultiTableSynthesizer, name: str) -> list:
    """The column specs of a table's own columns (its model's, without children counts)."""
    return [spec for spec in model.tables_[name].model.columns_
            if not spec.name.startswith(COUNT_PREFIX)]


def _calibrate_table(model: MultiTableSynthesizer, name: str, train: Mapping[str, pa.Table],
                     holdout: Mapping[str, pa.Table] | None, options: FilterOptions,
                     keys: Mapping[str, Collection[str]] | None) -> Calibration:
    exclude = set(model.tables_[name].keys) | set((keys or {}).get(name, ()))
    return calibrate(train[name], None if holdout is None else holdout[name], options=options,
                     columns=own_columns(model, name), exclude=exclude)


def _too_many_dropped(short: Mapping[str, FilterReport], options: FilterOptions
                      ) -> SimilarityFilterError:
    tables = "; ".join(
        f"{name}: {r.rows_requested - r.rows_returned} of {r.rows_requested} rows still too "
        f"close to a real row after {options.max_rounds} draws" for name, r in short.items())
    return SimilarityFilterError(
        f"the similarity filter could not replace every row too close to a real row ({tables}); "
        f"the model stays too close to its training rows: raise min_leaf, or loosen the filter "
        f"with similarity_filter.dcr_quantile below {options.dcr_quantile} or "
        f"similarity_filter.nndr below {options.nndr}")
