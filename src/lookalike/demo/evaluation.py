"""Step 6: a fair evaluation, on held-out *real* claims only.

For each seed, the claimed customers are split before anything is synthesised: a share of them
(with their claims) is held out, and the synthesiser learns only from the rest, so no test
customer's data informs it. Each training set below gets the same grid search and is scored on
the held-out real claims:

- real only (TRTR): the real training claims;
- synthetic only (TSTR): as many synthetic claims, made from the real training tables;
- real + k× synthetic: the real training claims padded with k times as many synthetic ones.

Means come with 95% intervals over the seeds, and each padded set with the interval of its
paired AUC difference to real only, which says whether synthetic rows help, hurt, or make no
clear difference on data this small. The seeds' splits reuse the same claims, so their scores
are correlated and a plain t-interval would be too narrow: the intervals use Nadeau and
Bengio's corrected resampled t (the variance over seeds times 1/seeds + test rows/training rows,
instead of 1/seeds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.metrics import accuracy_score, roc_auc_score

from lookalike.demo.fraud_model import features, grid_search
from lookalike.demo.lab import NOTEBOOK, write_arrow
from lookalike.demo.prepare import KEY, clean, join_claims, modes
from lookalike.demo.synthesis import CLAIMS, CUSTOMERS, lab_config, synthetic_claims
from lookalike.errors import InvalidOptionError
from lookalike.intervals import Interval
from lookalike.io.base import Connector

REAL = "real only (TRTR)"
SYNTHETIC = "synthetic only (TSTR)"
TRAIN_SUFFIX = "_TRAIN"


def padded(k: int) -> str:
    return f"real + {k}x synthetic"


@dataclass(frozen=True)
class Score:
    variant: str
    seed: int
    train_rows: int
    auc: float
    accuracy: float


@dataclass(frozen=True)
class VariantSummary:
    variant: str
    train_rows: int
    auc: Interval
    accuracy: Interval
    gain: Interval | None  # AUC minus real only's, paired by seed

    @property
    def verdict(self) -> str:
        if self.gain is None:
            return "reference"
        if self.gain.low is None:
            return "one seed: no interval"
        if self.gain.low > 0:
            return "helps"
        if self.gain.high < 0:
            return "hurts"
        return "no clear difference"


@dataclass
class Evaluation:
    seeds: list[int]
    test_rows: int
    scores: list[Score]
    summaries: list[VariantSummary]

    def best(self) -> VariantSummary:
        """The training set to deploy: the best of those that clearly help, else real only
        (a higher mean within the noise is not a reason to add synthetic rows)."""
        helping = [s for s in self.summaries if s.verdict == "helps"]
        return max(helping, key=lambda s: s.auc.mean) if helping else self.summary(REAL)

    def summary(self, variant: str) -> VariantSummary:
        found = [s for s in self.summaries if s.variant == variant]
        if not found:
            raise InvalidOptionError(f"no training set {variant!r} was evaluated; there are "
                                     f"{', '.join(s.variant for s in self.summaries)}")
        return found[0]

    def to_dict(self) -> dict:
        summaries = [{**asdict(s), "verdict": s.verdict} for s in self.summaries]
        return {"seeds": self.seeds, "test_rows": self.test_rows,
                "scores": [asdict(s) for s in self.scores], "summaries": summaries}


def split_by_customer(claims: pd.DataFrame, customers: pd.DataFrame, share: float, seed: int
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(training claims, training customers, held-out joined real claims): `share` of the
    customers with a claim, and all their claims, are held out."""
    claimed = np.sort(claims[KEY].dropna().unique())
    rng = np.random.default_rng(seed)
    held_out = rng.choice(claimed, size=max(1, round(share * len(claimed))), replace=False)
    test_claim = claims[KEY].isin(held_out)
    test_customer = customers[KEY].isin(held_out)
    test = join_claims(claims[test_claim], customers[test_customer], synthetic=False)
    return claims[~test_claim], customers[~test_customer], test


def evaluate_fairly(db: Connector, claims: pd.DataFrame, customers: pd.DataFrame, *,
                    seeds: Sequence[int], padding: Sequence[int], grid: str = "full",
                    holdout_share: float = 0.25,
                    on_seed: Callable[[int], None] | None = None) -> Evaluation:
    """Every training set of the module docstring, scored on each seed's held-out claims."""
    scores: list[Score] = []
    test_rows = 0
    for seed in seeds:
        train_claims, train_customers, test = split_by_customer(claims, customers,
                                                                holdout_share, seed)
        real, synthetic = _training_data(db, train_claims, train_customers, padding, seed)
        fill = modes(real)
        real, synthetic = clean(real, fill), clean(synthetic, fill)
        test_x, test_y = features(clean(test, fill))
        test_rows = len(test_x)
        for variant, frame in _variants(real, synthetic, padding).items():
            x, y = features(frame)
            model = grid_search(x, y, grid=grid, seed=seed)
            chance = model.predict_proba(test_x)[:, 1]
            scores.append(Score(variant, seed, len(frame), float(roc_auc_score(test_y, chance)),
                                float(accuracy_score(test_y, chance >= 0.5))))
        if on_seed is not None:
            on_seed(seed)
    train_rows = len(claims) - test_rows
    return Evaluation(list(seeds), test_rows, scores, _summaries(scores, test_rows / train_rows))


def _training_data(db: Connector, claims: pd.DataFrame, customers: pd.DataFrame,
                   padding: Sequence[int], seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The real training claims joined to their customers, and synthetic ones made by the
    procedure from those two tables alone (as many as the largest padding needs)."""
    for name, frame in ((CLAIMS, claims), (CUSTOMERS, customers)):
        write_arrow(db, NOTEBOOK, name + TRAIN_SUFFIX,
                    pa.Table.from_pandas(frame, preserve_index=False))
    # 5% more customers than the largest padding needs: their claim count is random
    rows = round(1.05 * max((*padding, 1)) * len(customers))
    config = lab_config(db, schema=NOTEBOOK, suffix=TRAIN_SUFFIX, customer_rows=rows, seed=seed)
    return join_claims(claims, customers, synthetic=False), synthetic_claims(db, config)


def _variants(real: pd.DataFrame, synthetic: pd.DataFrame, padding: Sequence[int]
              ) -> dict[str, pd.DataFrame]:
    rows = len(real)
    variants = {REAL: real, SYNTHETIC: synthetic.iloc[:rows]}
    for k in padding:
        variants[padded(k)] = pd.concat([real, synthetic.iloc[:k * rows]], ignore_index=True)
    return variants


def _summaries(scores: list[Score], test_per_train: float = 0.0) -> list[VariantSummary]:
    variants = list(dict.fromkeys(score.variant for score in scores))
    real = {s.seed: s.auc for s in scores if s.variant == REAL}

    def interval(values: list[float]) -> Interval:
        return Interval.of(values, test_per_train)

    summaries = []
    for variant in variants:
        mine = [s for s in scores if s.variant == variant]
        gain = None if variant == REAL else interval([s.auc - real[s.seed] for s in mine])
        summaries.append(VariantSummary(
            variant, round(float(np.mean([s.train_rows for s in mine]))),
            interval([s.auc for s in mine]), interval([s.accuracy for s in mine]), gain))
    return summaries
