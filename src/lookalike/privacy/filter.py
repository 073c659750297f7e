"""The similarity filter: drop synthetic rows that are too close to a real row, then top up.

The rule, calibrated on real rows the model did not learn from:

1. Calibration distances. With a holdout (the procedure holds out `HOLDOUT_FRACTION` = 20% of a
   table of at least `MIN_HOLDOUT_TABLE_ROWS` = 500 rows; see `split_holdout`), each holdout row's
   distance to its nearest training row: how close a *fresh* real person typically comes to the
   training rows. Without one (tiny tables), each training row's distance to its nearest *other*
   training row (leave-one-out), which estimates the same thing from one fewer row.
2. `dcr_threshold` = the `dcr_quantile` (default 0.1) quantile of those distances. Of 0.05,
   0.1 and 0.2 (`benchmarks/privacy_targets.py`, seeds 0-19), 0.1 brought the insurance
   tables' mean DCR share closest to fresh real rows' (0.507 and 0.505; 0.05: 0.513 and
   0.512), at a membership AUC a little under 0.5 (0.489, 0.486; 0.05: 0.505, 0.507); 0.2
   overshoots (0.45). Seeds 20-39, not used to choose, give 0.511 and 0.506.
3. A synthetic row is too close when its distance to the nearest training row is below
   `dcr_threshold`, or when its nearest / second-nearest ratio (NNDR) is below `nndr`
   (default 0.5): it sits twice as close to one training row as to any other, so it points at
   that one person even when nobody else is near (an outlier's neighbourhood).
4. Dropped rows are replaced by newly generated rows, round after round (at most `max_rounds`),
   until the requested count is met; `top_up: false` keeps the warehouse's behaviour instead
   (one round, fewer rows).

Distances are those of `lookalike.privacy.distance`: NULLs are part of the distance (the warehouse
refuses a NULL in a non-string column when the filter is on; lookalike does not need to).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from lookalike.errors import InvalidOptionError, LookalikeError
from lookalike.metadata import ColumnSpec
from lookalike.privacy.distance import RowEncoder, fit_encoder
from lookalike.privacy.metrics import nndr as nndr_ratio
from lookalike.privacy.neighbours import nearest
from lookalike.tabular import to_arrow

HOLDOUT_FRACTION = 0.2
MIN_HOLDOUT_TABLE_ROWS = 500
FILTER_KEYS = ("dcr_quantile", "nndr", "top_up", "max_rounds")

# A source of synthetic rows: (row count, round number) -> Arrow batches
RowSource = Callable[[int, int], Iterable[pa.RecordBatch]]


class SimilarityFilterError(LookalikeError, RuntimeError):
    """The filter dropped so many rows that the requested count was not met in time."""


@dataclass(frozen=True)
class FilterOptions:
    dcr_quantile: float = 0.1  # of holdout-to-train distances: the "too close" threshold
    nndr: float = 0.5  # nearest / second-nearest ratio below which a row is too close
    top_up: bool = True  # generate more rows until the requested count is met
    max_rounds: int = 10  # generation rounds before giving up (top_up only)


@dataclass(frozen=True)
class FilterReport:
    rows_requested: int
    rows_returned: int
    rows_checked: int
    rows_dropped: int
    rows_dropped_dcr: int  # too close by distance (may also fail the ratio)
    rows_dropped_nndr: int  # too close by the ratio only
    dcr_threshold: float
    nndr_threshold: float
    dcr_quantile: float
    rounds: int
    calibration: str  # "holdout" or "leave_one_out"
    calibration_rows: int

    def metric_values(self) -> dict[str, float]:
        """The report as `similarity_filter_*` metric rows (see the procedure's metrics)."""
        return {f"similarity_filter_{name}": float(getattr(self, name)) for name in (
            "rows_checked", "rows_dropped", "dcr_threshold", "nndr_threshold", "rounds")}


@dataclass(frozen=True)
class Calibration:
    """What the rule needs at generation time: the encoder, the training points, thresholds."""

    encoder: RowEncoder
    train_points: np.ndarray
    dcr_threshold: float
    nndr_threshold: float
    options: FilterOptions
    source: str
    rows: int


def parse_similarity_filter(value: Any) -> FilterOptions | None:
    """The config's `similarity_filter`: false/None (off), true (defaults) or a mapping of
    `dcr_quantile`, `nndr`, `top_up`, `max_rounds`. Every problem is named in one error."""
    if value is None or value is False:
        return None
    if value is True:
        return FilterOptions()
    if not isinstance(value, Mapping):
        raise InvalidOptionError(
            f"similarity_filter must be true, false or a mapping such as "
            f"{{\"dcr_quantile\": 0.1, \"nndr\": 0.5}}, not {value!r}")
    problems = [f"similarity_filter: unknown key {key!r} (keys: {', '.join(FILTER_KEYS)})"
                for key in value if key not in FILTER_KEYS]
    problems += [_check_option(key, value[key]) for key in FILTER_KEYS if key in value]
    problems = [p for p in problems if p]
    if problems:
        raise InvalidOptionError("; ".join(problems))
    return FilterOptions(**{key: value[key] for key in FILTER_KEYS if key in value})


def _check_option(key: str, value: Any) -> str | None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if key in ("dcr_quantile", "nndr") and not (number and 0 <= value <= 1):
        return f"similarity_filter.{key} must be a number from 0 to 1, not {value!r}"
    if key == "top_up" and not isinstance(value, bool):
        return f"similarity_filter.top_up must be true or false, not {value!r}"
    if key == "max_rounds" and not (isinstance(value, int) and not isinstance(value, bool)
                                    and value >= 1):
        return f"similarity_filter.max_rounds must be a whole number >= 1, not {value!r}"
    return None


def split_holdout(table: Any, *, fraction: float = HOLDOUT_FRACTION,
                  min_rows: int = MIN_HOLDOUT_TABLE_ROWS, seed: int | None = 0
                  ) -> tuple[pa.Table, pa.Table | None]:
    """(train, holdout): a uniform random `fraction` held out, or (table, None) for tables of
    fewer than `min_rows` rows, whose holdout would be too small to calibrate on."""
    table = to_arrow(table)
    if table.num_rows < min_rows:
        return table, None
    rng = np.random.default_rng(seed)
    held = np.zeros(table.num_rows, dtype=bool)
    held[rng.choice(table.num_rows, round(fraction * table.num_rows), replace=False)] = True
    return table.filter(pa.array(~held)), table.filter(pa.array(held))


def calibrate(train: Any, holdout: Any | None = None, *, options: FilterOptions | None = None,
              columns: Sequence[ColumnSpec] | None = None, exclude: Collection[str] = ()
              ) -> Calibration:
    """The filter's thresholds from real rows (see the module doc for the rule)."""
    options = options or FilterOptions()
    train = to_arrow(train)
    encoder = fit_encoder(train, columns, exclude=exclude)
    points = encoder.transform(train)
    if holdout is not None and to_arrow(holdout).num_rows > 0:
        held = encoder.transform(to_arrow(holdout))
        distances, source = nearest(points, held, 1).distances[:, 0], "holdout"
    else:
        distances = nearest(points, points, 1, exclude_self=True).distances[:, 0]
        source = "leave_one_out"
    threshold = float(np.quantile(distances, options.dcr_quantile))
    return Calibration(encoder, points, threshold, options.nndr, options, source, len(distances))


def too_close(calibration: Calibration, batch: pa.Table | pa.RecordBatch
              ) -> tuple[np.ndarray, np.ndarray]:
    """(by distance, by ratio) masks of the rows of `batch` the rule drops."""
    found = nearest(calibration.train_points, calibration.encoder.transform(batch), 2)
    by_distance = found.distances[:, 0] < calibration.dcr_threshold
    by_ratio = nndr_ratio(found.distances) < calibration.nndr_threshold
    return by_distance, by_ratio & ~by_distance


def filtered_sample(source: Any, train: Any, holdout: Any | None, n_rows: int, *,
                    options: FilterOptions | None = None,
                    columns: Sequence[ColumnSpec] | None = None,
                    exclude: Collection[str] = ()) -> tuple[pa.Table, FilterReport]:
    """`n_rows` synthetic rows none of which is too close to a `train` row, and what was done.

    `source` is a fitted Synthesizer (its own seed, then seeds derived from it for later rounds)
    or a callable (row count, round) -> Arrow batches. `holdout` is real rows the model did not
    learn from, or None (leave-one-out calibration)."""
    options = options or FilterOptions()
    columns = columns if columns is not None else getattr(source, "columns_", None)
    calibration = calibrate(train, holdout, options=options, columns=columns, exclude=exclude)
    return _generate_kept(as_row_source(source), calibration, n_rows)


def as_row_source(source: Any) -> RowSource:
    """A Synthesizer as a RowSource; a callable is one already."""
    if hasattr(source, "sample_batches"):
        def from_model(count: int, round_: int) -> Iterable[pa.RecordBatch]:
            seed = None if round_ == 0 else _round_seed(source.seed_, round_)
            return source.sample_batches(count, random_state=seed)
        return from_model
    if callable(source):
        return source
    raise InvalidOptionError(
        f"source must be a fitted Synthesizer or a callable, not {type(source).__name__}")


def _round_seed(seed: int, round_: int) -> int:
    return int(np.random.SeedSequence([seed, round_]).generate_state(1)[0])


def _generate_kept(source: RowSource, calibration: Calibration, n_rows: int
                   ) -> tuple[pa.Table, FilterReport]:
    options = calibration.options
    kept: list[pa.Table] = []
    counts = {"kept": 0, "checked": 0, "dcr": 0, "nndr": 0}
    rounds, schema = 0, None
    while rounds < (options.max_rounds if options.top_up else 1):
        if rounds and counts["kept"] >= n_rows:
            break
        asked = _next_round_size(n_rows, counts)
        table = _to_table(source(asked, rounds), schema)
        schema = table.schema
        by_distance, by_ratio = too_close(calibration, table)
        kept.append(table.filter(pa.array(~(by_distance | by_ratio))))
        counts["kept"] += kept[-1].num_rows
        counts["checked"] += table.num_rows
        counts["dcr"] += int(by_distance.sum())
        counts["nndr"] += int(by_ratio.sum())
        rounds += 1
    return _finish(kept, schema, n_rows, counts, rounds, calibration)


def _next_round_size(n_rows: int, counts: Mapping[str, int]) -> int:
    """The rows still missing, scaled up by the drop rate seen so far (plus 10%), so that
    one more round usually suffices."""
    missing = n_rows - counts["kept"]
    if counts["checked"] == 0:
        return n_rows
    keep_rate = max(counts["kept"] / counts["checked"], 0.01)
    return max(int(np.ceil(missing / keep_rate * 1.1)), 16)


def _to_table(batches: Iterable[pa.RecordBatch] | pa.Table, schema: pa.Schema | None
              ) -> pa.Table:
    if isinstance(batches, pa.Table):
        return batches
    batches = list(batches)
    if not batches:
        return (schema or pa.schema([])).empty_table()
    return pa.Table.from_batches(batches)


def _finish(kept: list[pa.Table], schema: pa.Schema | None, n_rows: int,
            counts: Mapping[str, int], rounds: int, calibration: Calibration
            ) -> tuple[pa.Table, FilterReport]:
    options = calibration.options
    if options.top_up and counts["kept"] < n_rows:
        raise SimilarityFilterError(
            f"the similarity filter kept {counts['kept']} of the {n_rows} rows asked for after "
            f"{rounds} rounds ({counts['checked']} rows checked, "
            f"{counts['checked'] - counts['kept']} too close to a real row); the model stays "
            f"too close to its training rows: raise min_leaf, or loosen the filter with "
            f"similarity_filter.dcr_quantile below {options.dcr_quantile} or "
            f"similarity_filter.nndr below {options.nndr}")
    table = pa.concat_tables(kept) if kept else schema.empty_table()
    table = table.slice(0, n_rows).combine_chunks()
    report = FilterReport(
        rows_requested=n_rows, rows_returned=table.num_rows, rows_checked=counts["checked"],
        rows_dropped=counts["checked"] - counts["kept"], rows_dropped_dcr=counts["dcr"],
        rows_dropped_nndr=counts["nndr"], dcr_threshold=calibration.dcr_threshold,
        nndr_threshold=calibration.nndr_threshold, dcr_quantile=options.dcr_quantile,
        rounds=rounds, calibration=calibration.source, calibration_rows=calibration.rows)
    return table, report
