"""The two measures that train models: the discriminator (can a classifier tell synthetic rows
from real ones?) and ML utility (does a model trained on synthetic rows predict real ones as well
as a model trained on real rows?). Both use scikit-learn's HistGradientBoosting, so the core
needs no xgboost, with categories as native categorical features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from lookalike.report.columns import CATEGORY, NULL_CODE, Encoded, Prepared

FOLDS = 5
MAX_CATEGORIES = 250  # HistGradientBoosting takes at most 255 categories per feature
IMPORTANCE_REPEATS = 3
IMPORTANCE_ROWS = 5_000  # holdout rows behind the permutation importances


@dataclass(frozen=True)
class DiscriminatorMetrics:
    """Out-of-fold AUC of a classifier telling synthetic rows from real ones: 0.5 means
    indistinguishable, 1.0 means every row is told apart."""

    auc: float
    rows_per_side: int
    folds: int
    holdout_auc: float | None = None  # the same for fresh real rows: what "indistinguishable" gives


@dataclass(frozen=True)
class UtilityMetrics:
    """Train on synthetic, test on real holdout (TSTR) against train on real (TRTR)."""

    target: str
    task: str  # classification or regression
    measure: str  # AUC (classification, macro one-vs-rest for 3+ classes) or R2 (regression)
    tstr: float
    trtr: float
    rows_train: int
    rows_test: int
    importances_synthetic: dict[str, float] = field(default_factory=dict)
    importances_real: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """TSTR as a share of TRTR (1.0: synthetic rows are as useful as real ones)."""
        return self.tstr / self.trtr if self.trtr else float("nan")


# -- features -------------------------------------------------------------------------------------


def feature_matrices(columns: Sequence[Encoded]) -> tuple[list[np.ndarray], list[bool]]:
    """One float matrix per table for the model, from `encode`'s output; categories as codes
    (NaN for NULL; beyond MAX_CATEGORIES, the rarest share one code), flagged as categorical."""
    tables = len(columns[0][2]) if columns else 0
    blocks: list[list[np.ndarray]] = [[] for _ in range(tables)]
    categorical = []
    for _, kind, arrays, labels in columns:
        categorical.append(kind == CATEGORY)
        recode = _category_recoding(arrays, len(labels)) if kind == CATEGORY else None
        for block, values in zip(blocks, arrays, strict=True):
            if recode is None:
                block.append(values.astype(float))
            else:
                out = np.full(len(values), np.nan)
                present = values != NULL_CODE
                out[present] = recode[values[present]]
                block.append(out)
    rows = [len(arrays) for arrays in columns[0][2]] if columns else []
    return [np.column_stack(block) if block else np.empty((n, 0))
            for block, n in zip(blocks, rows, strict=True)], categorical


def _category_recoding(arrays: Sequence[np.ndarray], size: int) -> np.ndarray:
    if size <= MAX_CATEGORIES:
        return np.arange(size, dtype=float)
    counts = sum(np.bincount(codes[codes >= 0], minlength=size) for codes in arrays)
    keep = np.zeros(size, bool)
    keep[np.argsort(-counts, kind="stable")[:MAX_CATEGORIES - 1]] = True
    return np.where(keep, np.cumsum(keep) - 1, MAX_CATEGORIES - 1).astype(float)


def _classifier(categorical: list[bool], seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.1, categorical_features=categorical or None,
        early_stopping=True, random_state=seed)


def one_thread():
    """Models here are small (at most tens of thousands of rows): OpenMP threads cost more than
    they save, and on machines with a CPU quota below the core count they made a fit 20 times
    slower. One thread also gives the same numbers on every machine."""
    return threadpool_limits(1, user_api="openmp")


# -- discriminator --------------------------------------------------------------------------------


def discriminator_auc(columns: Sequence[Prepared], *, max_rows: int, seed: int
                      ) -> tuple[float, int]:
    """Out-of-fold AUC telling `other` rows from `real` rows, on equal samples of each."""
    n = min(len(columns[0].real), len(columns[0].other), max_rows)
    rng = np.random.default_rng(seed)
    real_rows = rng.choice(len(columns[0].real), n, replace=False)
    other_rows = rng.choice(len(columns[0].other), n, replace=False)
    sampled = [(c.name, c.kind, [c.real[real_rows], c.other[other_rows]], c.labels)
               for c in columns]
    (real_x, other_x), categorical = feature_matrices(sampled)
    x = np.vstack([real_x, other_x])
    y = np.r_[np.zeros(n), np.ones(n)]
    scores = np.zeros(2 * n)
    folds = StratifiedKFold(min(FOLDS, n), shuffle=True, random_state=seed)
    with one_thread():
        for fit, test in folds.split(x, y):
            model = _classifier(categorical, seed).fit(x[fit], y[fit])
            scores[test] = model.predict_proba(x[test])[:, 1]
    return float(roc_auc_score(y, scores)), n


# -- ML utility -----------------------------------------------------------------------------------


def utility(columns: Sequence[Encoded], target: str, *, max_rows: int, seed: int
            ) -> UtilityMetrics:
    """`columns` as `encode` gives them for (real train, synthetic, real holdout)."""
    target_column = next(column for column in columns if column[0] == target)
    task = "classification" if target_column[1] == CATEGORY else "regression"
    inputs = [column for column in columns if column[0] != target]
    matrices, categorical = feature_matrices(inputs)
    rng = np.random.default_rng(seed)
    sets = []
    for x, y in zip(matrices, target_column[2], strict=True):
        keep = y >= 0 if task == "classification" else ~np.isnan(y)
        rows = np.flatnonzero(keep)
        if len(rows) > max_rows:
            rows = np.sort(rng.choice(rows, max_rows, replace=False))
        sets.append((x[rows], y[rows]))
    (train_x, train_y), (synthetic_x, synthetic_y), (test_x, test_y) = sets
    names = [column[0] for column in inputs]
    results = []
    with one_thread():
        for fit_x, fit_y in ((synthetic_x, synthetic_y), (train_x, train_y)):
            model = _fit(task, categorical, fit_x, fit_y, seed)
            score = _score(task, model, test_x, test_y)
            results.append((score, _permutation_importance(task, model, test_x, test_y, score,
                                                           names, seed)))
    (tstr, synthetic_importances), (trtr, real_importances) = results
    return UtilityMetrics(
        target=target, task=task, measure="AUC" if task == "classification" else "R2",
        tstr=tstr, trtr=trtr, rows_train=len(train_y), rows_test=len(test_y),
        importances_synthetic=synthetic_importances, importances_real=real_importances)


def _fit(task: str, categorical: list[bool], x: np.ndarray, y: np.ndarray, seed: int):
    if task == "classification":
        if len(np.unique(y)) < 2:
            return _Constant(y[0] if len(y) else 0)
        return _classifier(categorical, seed).fit(x, y)
    return HistGradientBoostingRegressor(
        max_iter=200, learning_rate=0.1, categorical_features=categorical or None,
        early_stopping=True, random_state=seed).fit(x, y)


class _Constant:
    """What a training table with one class only can predict."""

    def __init__(self, value: int) -> None:
        self.classes_ = np.array([value])

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.ones((len(x), 1))


def _score(task: str, model, x: np.ndarray, y: np.ndarray) -> float:
    """AUC (the positive class of a binary target is the rarer one in the test rows; macro
    one-vs-rest for more classes) or R2."""
    if task == "regression":
        return float(r2_score(y, model.predict(x)))
    classes = np.unique(y)
    if len(classes) < 2:
        return float("nan")
    proba = model.predict_proba(x)
    columns = {value: i for i, value in enumerate(model.classes_)}

    def auc(value) -> float:
        scores = proba[:, columns[value]] if value in columns else np.zeros(len(y))
        return float(roc_auc_score(y == value, scores))

    if len(classes) == 2:
        counts = [(y == value).sum() for value in classes]
        return auc(classes[int(np.argmin(counts))])
    return float(np.mean([auc(value) for value in classes]))


def _permutation_importance(task: str, model, x: np.ndarray, y: np.ndarray, base: float,
                            names: list[str], seed: int) -> dict[str, float]:
    """Drop in the test score when one feature's values are shuffled (mean of a few shuffles)."""
    if not np.isfinite(base) or isinstance(model, _Constant):
        return {name: 0.0 for name in names}
    rng = np.random.default_rng(seed)
    if len(y) > IMPORTANCE_ROWS:
        rows = rng.choice(len(y), IMPORTANCE_ROWS, replace=False)
        x, y = x[rows], y[rows]
        base = _score(task, model, x, y)
    out = {}
    for j, name in enumerate(names):
        drops = []
        for _ in range(IMPORTANCE_REPEATS):
            shuffled = x.copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            drops.append(base - _score(task, model, shuffled, y))
        out[name] = float(np.mean(drops))
    return out
