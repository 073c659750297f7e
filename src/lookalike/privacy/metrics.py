"""How private synthetic rows are, measured against real rows the model never saw (a holdout).

The measures privacy research uses, on the one distance of `lookalike.privacy.distance`:

- DCR share: the share of synthetic rows closer to their nearest training row than to their
  nearest holdout row (ties count half), with *equal numbers* of training and holdout rows. A
  model that learned the distribution and not the rows sits at 0.5; copies sit at 1.0.
- exact-copy rate: synthetic rows equal to a training row on every column that counts, with the
  holdout's own rate as the reference (fresh real rows repeat training rows too, in tables of
  few distinct values).
- NNDR: nearest / second-nearest training distance. A small ratio means a row points at one
  training row rather than at a crowd.
- membership inference: an attacker holding the synthetic rows scores each candidate real row by
  its distance to the nearest synthetic row (closer: "was in training"). The AUC of telling
  training rows from holdout rows that way; 0.5 means the synthetic rows give nothing away.

Large tables are sampled to `max_rows` rows of each of train, holdout and synthetic, uniformly
and reproducibly (`seed`); `rows_used` says how many, and reports should state it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.metrics import roc_auc_score

from lookalike.metadata import ColumnSpec
from lookalike.privacy.distance import RowEncoder, fit_encoder
from lookalike.privacy.neighbours import nearest
from lookalike.tabular import to_arrow

TIE_TOLERANCE = 1e-9


@dataclass
class PrivacyMetrics:
    dcr_share: float  # synthetic rows closer to train than to holdout (ties half); ideal 0.5
    exact_copy_rate: float  # synthetic rows identical to a train row
    holdout_exact_copy_rate: float  # holdout rows identical to a train row (the reference)
    mia_auc: float  # can distance to synthetic tell train rows from holdout rows? ideal 0.5
    dcr_synthetic: np.ndarray  # distance of each (sampled) synthetic row to its nearest train row
    dcr_holdout: np.ndarray  # distance of each holdout row to its nearest train row
    nndr_synthetic: np.ndarray  # nearest / second-nearest train distance ratio, synthetic rows
    nndr_holdout: np.ndarray
    # training and holdout rows sampled for DCR and NNDR (state it in reports); membership
    # inference scores every training row up to max_rows against the same holdout rows
    rows_used: int

    def summary(self) -> dict[str, float]:
        """The headline floats, plus the median and 5th percentile of each distribution."""
        out = {
            "dcr_share": self.dcr_share,
            "exact_copy_rate": self.exact_copy_rate,
            "holdout_exact_copy_rate": self.holdout_exact_copy_rate,
            "mia_auc": self.mia_auc,
            "rows_used": float(self.rows_used),
        }
        for name in ("dcr_synthetic", "dcr_holdout", "nndr_synthetic", "nndr_holdout"):
            values = getattr(self, name)
            out[f"{name}_median"] = _quantile(values, 0.5)
            out[f"{name}_p05"] = _quantile(values, 0.05)
        return out


def privacy_metrics(train: Any, holdout: Any, synthetic: Any, *,
                    columns: Sequence[ColumnSpec] | None = None, max_rows: int = 20_000,
                    seed: int = 0, exclude: Collection[str] = ()) -> PrivacyMetrics:
    """Privacy of `synthetic` (made by a model fitted on `train`) against the fresh `holdout`.

    Tables are pandas frames or Arrow tables with the same columns; `columns` are the model's
    specs (`Synthesizer.columns_`), detected from `train` when not given; `exclude` names columns
    that do not count (join keys)."""
    train, holdout, synthetic = (to_arrow(t) for t in (train, holdout, synthetic))
    encoder = fit_encoder(train, columns, exclude=exclude)
    rng = np.random.default_rng(seed)
    n = min(train.num_rows, holdout.num_rows, max_rows)
    train_rows = _sample(train, n, rng)
    holdout_rows = _sample(holdout, n, rng)
    synthetic_rows = _sample(synthetic, min(synthetic.num_rows, max_rows), rng)
    train_x, holdout_x, synthetic_x = (encoder.transform(t)
                                       for t in (train_rows, holdout_rows, synthetic_rows))
    to_train = nearest(train_x, synthetic_x, 2)
    holdout_to_train = nearest(train_x, holdout_x, 2)
    to_holdout = nearest(holdout_x, synthetic_x, 1).distances[:, 0]
    # the attack scores every training row it can (an AUC does not need equal counts): four
    # times the rows of an 80/20 split shrink the AUC's noise by a fifth
    members_x = encoder.transform(_sample(train, min(train.num_rows, max_rows), rng))
    return PrivacyMetrics(
        dcr_share=_mean_dcr_share(members_x, synthetic_x, to_holdout, n, rng),
        exact_copy_rate=exact_copy_rate(train, synthetic_rows, encoder),
        holdout_exact_copy_rate=exact_copy_rate(train, holdout_rows, encoder),
        mia_auc=membership_auc(members_x, holdout_x, synthetic_x),
        dcr_synthetic=to_train.distances[:, 0],
        dcr_holdout=holdout_to_train.distances[:, 0],
        nndr_synthetic=nndr(to_train.distances),
        nndr_holdout=nndr(holdout_to_train.distances),
        rows_used=n,
    )


def _mean_dcr_share(members_x: np.ndarray, synthetic_x: np.ndarray, to_holdout: np.ndarray,
                    n: int, rng: np.random.Generator, most: int = 4) -> float:
    """DCR share against each of up to `most` disjoint holdout-sized sets of training rows,
    averaged: every set is as large as the holdout (a larger one would come closer by size
    alone), and using several takes out the noise of picking one."""
    order = rng.permutation(len(members_x))
    sets = max(1, min(most, len(members_x) // max(n, 1)))
    shares = [dcr_share(nearest(members_x[order[i * n:(i + 1) * n]], synthetic_x, 1)
                        .distances[:, 0], to_holdout) for i in range(sets)]
    return float(np.mean(shares))


def dcr_share(to_train: np.ndarray, to_holdout: np.ndarray) -> float:
    """Share of rows nearer the training rows than the holdout rows, ties counting half."""
    if to_train.size == 0:
        return float("nan")
    tie = np.isclose(to_train, to_holdout, rtol=0, atol=TIE_TOLERANCE)
    return float(np.mean((to_train < to_holdout) & ~tie) + 0.5 * np.mean(tie))


def nndr(distances: np.ndarray) -> np.ndarray:
    """d1 / d2 per row of a (rows x 2) distance array; 1 when d2 is 0 (the row sits on two equal
    training rows: it points at no single one)."""
    d1, d2 = distances[:, 0], distances[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d2 > 0, d1 / np.where(d2 > 0, d2, 1.0), 1.0)


def membership_auc(train_x: np.ndarray, holdout_x: np.ndarray, synthetic_x: np.ndarray) -> float:
    """AUC of "a training row" by closeness to the synthetic rows."""
    if len(synthetic_x) == 0 or len(train_x) == 0 or len(holdout_x) == 0:
        return float("nan")
    candidates = np.vstack([train_x, holdout_x])
    distance = nearest(synthetic_x, candidates, 1).distances[:, 0]
    member = np.r_[np.ones(len(train_x)), np.zeros(len(holdout_x))]
    return float(roc_auc_score(member, -distance))


def exact_copy_rate(train: pa.Table, other: pa.Table, encoder: RowEncoder) -> float:
    """Share of `other` rows equal to some `train` row on every column the distance counts
    (numbers to 6 decimals, as the shared synthcheck compares them)."""
    if other.num_rows == 0:
        return float("nan")
    seen = set(_row_hashes(train, encoder))
    return float(np.mean([h in seen for h in _row_hashes(other, encoder)]))


def _row_hashes(table: pa.Table, encoder: RowEncoder) -> np.ndarray:
    frame = table.select(encoder.columns).to_pandas()
    for coordinate in encoder.numeric:
        column = frame[coordinate.name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            frame[coordinate.name] = column.astype("float64").round(6)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _sample(table: pa.Table, n: int, rng: np.random.Generator) -> pa.Table:
    if n >= table.num_rows:
        return table
    return table.take(np.sort(rng.choice(table.num_rows, n, replace=False)))


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else float("nan")
