"""The relationship report: a parent table and its child table, real against synthetic.

Multi-table output must keep two things a one-table report cannot see:

- **Dependencies across the join** (premium → claim amount). Each child row is joined to its
  parent row (an inner join on the join key, real with real and synthetic with synthetic, in
  child order), and `evaluate` measures the joined tables like any table: column shapes, pair
  trends, heatmaps and the worst pairs then include the pairs across the join. The key columns
  are left out (they are ids, and synthetic keys are pseudonyms); a column name both tables use
  is prefixed with its table's name (`customers.STATUS`, `claims.STATUS`).
- **Children per parent**: for every parent row, how many child rows carry its key, 0 included.
  Child rows whose key is NULL, or matches no parent row (orphans), are counted apart, not
  joined. The real and synthetic count distributions are compared by the KS statistic and the
  total variation distance.

>>> metrics, path = report_relationship(customers, claims, synthetic_customers,
...                                     synthetic_claims, "customers-claims.html",
...                                     parent_key="POLICY_NUMBER")
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lookalike.errors import InvalidDataError, UnknownColumnError
from lookalike.report import plots
from lookalike.report.columns import as_table
from lookalike.report.fidelity import PairMetrics, average
from lookalike.report.metrics import MAX_ROWS, QualityMetrics, _clean, evaluate
from lookalike.report.render import MAX_LISTED_PAIRS, _pct, render_page, save_page, text_summary

REAL, SYNTHETIC, HOLDOUT = "real", "synthetic", "holdout"


@dataclass(frozen=True)
class ChildCounts:
    """How the child rows of one parent/child pair of tables spread over the parent rows."""

    parents: int  # parent rows
    child_rows: int
    null_keys: int  # child rows whose key is NULL
    orphans: int  # child rows whose key no parent row has
    histogram: tuple[int, ...]  # histogram[k]: parent rows with exactly k children

    @property
    def linked(self) -> int:
        """Child rows that have a parent row: the rows of the joined table."""
        return self.child_rows - self.null_keys - self.orphans

    @property
    def mean(self) -> float:
        return self.linked / self.parents if self.parents else float("nan")

    @property
    def most(self) -> int:
        """The largest number of children one parent row has."""
        return len(self.histogram) - 1 if self.parents else 0

    @property
    def no_child_share(self) -> float:
        return self.histogram[0] / self.parents if self.parents else float("nan")

    def shares(self, size: int) -> np.ndarray:
        """Share of parent rows with 0 … size-1 children."""
        counts = np.zeros(size)
        counts[:len(self.histogram)] = self.histogram
        return counts / max(self.parents, 1)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "histogram": list(self.histogram), "linked": self.linked,
                "mean": self.mean, "max": self.most, "no_child_share": self.no_child_share}


@dataclass(frozen=True)
class ChildrenPerParent:
    """The children-per-parent distributions, real and synthetic, and how far apart they are."""

    real: ChildCounts
    synthetic: ChildCounts
    ks: float  # largest gap between the two distribution functions of the counts
    total_variation: float  # half the summed difference of the shares of each count

    def to_dict(self) -> dict[str, Any]:
        return {"real": self.real.to_dict(), "synthetic": self.synthetic.to_dict(),
                "ks": self.ks, "total_variation": self.total_variation}


@dataclass
class RelationshipMetrics:
    """Everything a relationship report shows: the joined tables' quality and the children per
    parent. `parent_columns` and `child_columns` are the columns' names in the joined table."""

    parent: str
    child: str
    parent_key: str
    child_key: str
    parent_columns: list[str]
    child_columns: list[str]
    children_per_parent: ChildrenPerParent
    joined: QualityMetrics
    seconds: dict[str, float] = field(default_factory=dict)

    def cross_table_pairs(self) -> list[PairMetrics]:
        """The pairs of one parent column and one child column, worst first."""
        parent = set(self.parent_columns)
        return [pair for pair in self.joined.worst_pairs(len(self.joined.pairs))
                if (pair.column_1 in parent) != (pair.column_2 in parent)]

    @property
    def cross_table_pair_trends(self) -> float:
        """Pair trends across the join, over the pairs with a real trend (NaN: none has one)."""
        return average([p.score for p in self.cross_table_pairs() if p.counted])

    @property
    def all_cross_table_pair_trends(self) -> float:
        """Pair trends across the join over every defined pair, trend or not: the figure to read
        when the real tables have no strong dependence across the join."""
        return average([p.score for p in self.cross_table_pairs()])

    def summary(self) -> dict[str, float | None]:
        counts = self.children_per_parent
        out = {**self.joined.summary(),
               "cross_table_pair_trends": self.cross_table_pair_trends,
               "all_cross_table_pair_trends": self.all_cross_table_pair_trends,
               "children_per_parent_ks": counts.ks,
               "children_per_parent_total_variation": counts.total_variation,
               "mean_children_real": counts.real.mean,
               "mean_children_synthetic": counts.synthetic.mean,
               "no_child_share_real": counts.real.no_child_share,
               "no_child_share_synthetic": counts.synthetic.no_child_share}
        return _clean(out)

    def to_dict(self) -> dict[str, Any]:
        """Every metric as plain JSON-ready values; the joined tables' under `joined`."""
        return _clean({
            "parent": self.parent, "child": self.child, "parent_key": self.parent_key,
            "child_key": self.child_key, "parent_columns": self.parent_columns,
            "child_columns": self.child_columns, "summary": self.summary(),
            "children_per_parent": self.children_per_parent.to_dict(),
            "cross_table_pairs": [asdict(p) for p in self.cross_table_pairs()],
            "joined": self.joined.to_dict(), "seconds": self.seconds,
        })


# -- measure --------------------------------------------------------------------------------------


def evaluate_relationship(real_parent: Any, real_child: Any, synthetic_parent: Any,
                          synthetic_child: Any, *, parent_key: str, child_key: str | None = None,
                          parent_name: str = "parent", child_name: str = "child",
                          parent_columns: Sequence[str] | None = None,
                          child_columns: Sequence[str] | None = None,
                          holdout_parent: Any = None, holdout_child: Any = None,
                          max_rows: int = MAX_ROWS, seed: int = 0) -> RelationshipMetrics:
    """Measure a synthetic parent/child pair of tables against the real pair.

    `parent_key` is the parent's join-key column, `child_key` the child's (default: the same
    name; either is found case-insensitively). `parent_columns` / `child_columns` restrict the
    compared columns (default: all but the key). `holdout_parent` / `holdout_child`: real
    families the model did not learn from, joined the same way, give the joined table's scores
    their fresh-real reference and its privacy measures. Tables are pandas DataFrames or pyarrow
    Tables.
    """
    return _measure(real_parent, real_child, synthetic_parent, synthetic_child,
                    parent_key=parent_key, child_key=child_key, parent_name=parent_name,
                    child_name=child_name, parent_columns=parent_columns,
                    child_columns=child_columns, holdout=(holdout_parent, holdout_child),
                    max_rows=max_rows, seed=seed)[0]


def report_relationship(real_parent: Any, real_child: Any, synthetic_parent: Any,
                        synthetic_child: Any, path: str | Path, *, parent_key: str,
                        child_key: str | None = None, parent_name: str = "parent",
                        child_name: str = "child", parent_columns: Sequence[str] | None = None,
                        child_columns: Sequence[str] | None = None,
                        holdout_parent: Any = None, holdout_child: Any = None,
                        max_rows: int = MAX_ROWS, seed: int = 0, title: str | None = None
                        ) -> tuple[RelationshipMetrics, Path]:
    """`evaluate_relationship`, then the HTML report: the metrics and the report's path."""
    metrics, real_joined, synthetic_joined = _measure(
        real_parent, real_child, synthetic_parent, synthetic_child, parent_key=parent_key,
        child_key=child_key, parent_name=parent_name, child_name=child_name,
        parent_columns=parent_columns, child_columns=child_columns,
        holdout=(holdout_parent, holdout_child), max_rows=max_rows, seed=seed)
    written = write_relationship_html(
        metrics, path, real=real_joined, synthetic=synthetic_joined,
        title=title or f"Relationship report: {parent_name} → {child_name}")
    return metrics, written


def _measure(real_parent: Any, real_child: Any, synthetic_parent: Any, synthetic_child: Any, *,
             parent_key: str, child_key: str | None, parent_name: str, child_name: str,
             parent_columns: Sequence[str] | None, child_columns: Sequence[str] | None,
             holdout: tuple[Any, Any], max_rows: int, seed: int
             ) -> tuple[RelationshipMetrics, pa.Table, pa.Table]:
    started = time.perf_counter()
    parents = {REAL: as_table(real_parent, "real parent"),
               SYNTHETIC: as_table(synthetic_parent, "synthetic parent")}
    children = {REAL: as_table(real_child, "real child"),
                SYNTHETIC: as_table(synthetic_child, "synthetic child")}
    if (holdout[0] is None) != (holdout[1] is None):
        raise InvalidDataError("give both holdout tables (parent and child), or neither")
    if holdout[0] is not None:
        parents[HOLDOUT] = as_table(holdout[0], "holdout parent")
        children[HOLDOUT] = as_table(holdout[1], "holdout child")
    parent_keys = {side: find_key(table, parent_key, f"{side} parent table {parent_name}")
                   for side, table in parents.items()}
    child_keys = {side: find_key(table, child_key or parent_key,
                                 f"{side} child table {child_name}")
                  for side, table in children.items()}
    own = _own_columns(parents[REAL], parent_keys[REAL], parent_columns, parent_name)
    theirs = _own_columns(children[REAL], child_keys[REAL], child_columns, child_name)
    renamed_parent, renamed_child = joined_names(own, theirs, parent_name, child_name)
    joined, counts = {}, {}
    for side, parent in parents.items():
        rows = parent_rows(parent, parent_keys[side], children[side], child_keys[side],
                           f"{side} parent table {parent_name}")
        counts[side] = child_counts(rows, parent.num_rows, children[side].column(
            child_keys[side]).null_count)
        joined[side] = _join(parent, children[side], rows, renamed_parent, renamed_child,
                             f"{side} child table {child_name}")
    seconds = {"join": time.perf_counter() - started}
    quality = evaluate(joined[REAL], joined[SYNTHETIC], holdout=joined.get(HOLDOUT),
                       columns=[*renamed_parent.values(), *renamed_child.values()],
                       max_rows=max_rows, seed=seed)
    seconds["total"] = time.perf_counter() - started
    metrics = RelationshipMetrics(
        parent=parent_name, child=child_name, parent_key=parent_keys[REAL],
        child_key=child_keys[REAL], parent_columns=list(renamed_parent.values()),
        child_columns=list(renamed_child.values()),
        children_per_parent=compare_child_counts(counts[REAL], counts[SYNTHETIC]),
        joined=quality, seconds=seconds)
    return metrics, joined[REAL], joined[SYNTHETIC]


def find_key(table: pa.Table, column: str, description: str) -> str:
    """The join-key column of `table` as the table spells it (the exact name first, else the
    one name equal ignoring case, as join keys match in the procedure)."""
    if column in table.column_names:
        return column
    matches = [name for name in table.column_names if name.upper() == column.upper()]
    if len(matches) == 1:
        return matches[0]
    raise UnknownColumnError(f"no join key column {column!r} in the {description} "
                             f"(columns: {', '.join(table.column_names)})")


def _own_columns(table: pa.Table, key: str, names: Sequence[str] | None, name: str) -> list[str]:
    if names is None:
        return [column for column in table.column_names if column != key]
    unknown = [column for column in names if column not in table.column_names]
    if unknown:
        raise UnknownColumnError(f"no column {unknown[0]!r} in the real table {name} "
                                 f"(columns: {', '.join(table.column_names)})")
    return [column for column in names if column != key]


def joined_names(parent_columns: Sequence[str], child_columns: Sequence[str], parent_name: str,
                 child_name: str) -> tuple[dict[str, str], dict[str, str]]:
    """Each table's column -> its name in the joined table: unchanged, or prefixed with its
    table's name when both tables have it ("parent." / "child." when the names are the same)."""
    if parent_name == child_name:
        parent_name, child_name = "parent", "child"
    shared = set(parent_columns) & set(child_columns)
    return ({c: f"{parent_name}.{c}" if c in shared else c for c in parent_columns},
            {c: f"{child_name}.{c}" if c in shared else c for c in child_columns})


def parent_rows(parent: pa.Table, parent_key: str, child: pa.Table, child_key: str,
                description: str) -> np.ndarray:
    """For each child row, the index of its parent row; -1 for NULL keys and orphans."""
    keys = parent.column(parent_key)
    if pc.count_distinct(keys, mode="only_valid").as_py() != len(keys) - keys.null_count:
        raise InvalidDataError(
            f"the {description} holds some {parent_key} values more than once, so it "
            f"cannot be the parent (each parent row is one entity); swap parent and child?")
    values = child.column(child_key)
    if values.type != keys.type:
        try:
            values = values.cast(keys.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise InvalidDataError(
                f"join key {child_key} of type {values.type} does not match {parent_key} of "
                f"type {keys.type} in the {description}") from error
    index = pc.index_in(values, value_set=keys.combine_chunks(), skip_nulls=True)
    return np.asarray(pc.fill_null(index, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def child_counts(rows: np.ndarray, parents: int, null_keys: int) -> ChildCounts:
    """`rows`: each child row's parent row (see `parent_rows`)."""
    per_parent = np.bincount(rows[rows >= 0], minlength=parents)
    histogram = np.bincount(per_parent) if parents else np.zeros(0, dtype=np.int64)
    return ChildCounts(parents=parents, child_rows=len(rows), null_keys=null_keys,
                       orphans=int((rows < 0).sum()) - null_keys,
                       histogram=tuple(int(n) for n in histogram))


def compare_child_counts(real: ChildCounts, synthetic: ChildCounts) -> ChildrenPerParent:
    """KS statistic and total variation distance of the two children-per-parent distributions
    (NaN when a side has no parent row)."""
    if not real.parents or not synthetic.parents:
        return ChildrenPerParent(real, synthetic, float("nan"), float("nan"))
    size = max(len(real.histogram), len(synthetic.histogram))
    shares_real, shares_synthetic = real.shares(size), synthetic.shares(size)
    ks = np.abs(np.cumsum(shares_real) - np.cumsum(shares_synthetic)).max()
    total_variation = 0.5 * np.abs(shares_real - shares_synthetic).sum()
    return ChildrenPerParent(real, synthetic, float(ks), float(total_variation))


def _join(parent: pa.Table, child: pa.Table, rows: np.ndarray, parent_names: dict[str, str],
          child_names: dict[str, str], description: str) -> pa.Table:
    """Each child row that has a parent row, with the parent row's columns, in child order."""
    linked = np.flatnonzero(rows >= 0)
    if not linked.size:
        raise InvalidDataError(f"no row of the {description} has a parent row, so there is no "
                               f"joined table to compare; check the join key")
    children = child.select(list(child_names)).take(pa.array(linked, pa.int64()))
    parents = parent.select(list(parent_names)).take(pa.array(rows[linked], pa.int64()))
    columns = {**{parent_names[c]: parents.column(c) for c in parent_names},
               **{child_names[c]: children.column(c) for c in child_names}}
    return pa.table(columns)


# -- render ---------------------------------------------------------------------------------------


def write_relationship_html(metrics: RelationshipMetrics, path: str | Path, *, real: Any = None,
                            synthetic: Any = None, title: str = "Relationship report") -> Path:
    """The report of the joined tables with a section on the relationship itself. `real` and
    `synthetic` are the joined tables (for the distribution plots; optional)."""
    counts = metrics.children_per_parent
    size = max(len(counts.real.histogram), len(counts.synthetic.histogram), 1)
    figure = plots.children_per_parent(
        counts.real.shares(size), counts.synthetic.shares(size),
        title=f"{metrics.child} rows per {metrics.parent} row")
    cross = metrics.cross_table_pairs()
    page = render_page(metrics.joined, real=real, synthetic=synthetic, title=title,
                       relationship=metrics, children_plot=figure,
                       cross_pairs=cross[:MAX_LISTED_PAIRS], cross_total=len(cross),
                       cross_counted=sum(pair.counted for pair in cross))
    return save_page(page, path)


def relationship_summary(metrics: RelationshipMetrics) -> str:
    """The summary for the terminal: the relationship, then the joined tables."""
    counts = metrics.children_per_parent
    real, synthetic = counts.real, counts.synthetic
    cross = metrics.cross_table_pairs()
    lines = [
        (f"Relationship {metrics.parent}.{metrics.parent_key} -> "
         f"{metrics.child}.{metrics.child_key}"),
        (f"  children per parent    KS {counts.ks:.3f}, total variation "
         f"{counts.total_variation:.3f}"),
        (f"  mean children          {real.mean:.3f} real, {synthetic.mean:.3f} synthetic "
         f"(max {real.most} real, {synthetic.most} synthetic)"),
        (f"  parents with no child  {_pct(real.no_child_share)} real, "
         f"{_pct(synthetic.no_child_share)} synthetic"),
        (f"  orphans / NULL keys    {real.orphans} / {real.null_keys} real, "
         f"{synthetic.orphans} / {synthetic.null_keys} synthetic"),
        (f"  pair trends across the join {_pct(metrics.cross_table_pair_trends)} "
         f"({sum(p.counted for p in cross)} of {len(cross)} pairs have a real trend; all pairs "
         f"{_pct(metrics.all_cross_table_pair_trends)})"),
        "Joined tables (each child row with its parent row):",
    ]
    return "\n".join(lines) + "\n" + text_summary(metrics.joined)

