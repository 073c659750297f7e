"""Step 5: the lab's fraud model. Drop `AGE` (it follows policy length) and the dates;
ordinal-encode education and severity in their natural orders; one-hot encode the other
categories; standard-scale the numbers; grid-search an XGBoost classifier for `FRAUD_REPORTED`
(a scikit-learn Pipeline in GridSearchCV, scored by ROC AUC)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from lookalike.demo.prepare import KEY, MARK

TARGET = "FRAUD_REPORTED"
DROPPED = ("AGE", KEY, MARK)
ORDERS = {
    "INSURED_EDUCATION_LEVEL": ["High School", "Associate", "College", "Masters", "JD", "MD",
                                "PhD"],
    "INCIDENT_SEVERITY": ["Trivial Damage", "Minor Damage", "Major Damage", "Total Loss"],
}
GRIDS: dict[str, dict[str, list[Any]]] = {
    "full": {"model__max_depth": [2, 3, 4], "model__n_estimators": [50, 100, 200],
             "model__learning_rate": [0.05, 0.1]},
    "fast": {"model__max_depth": [2, 3], "model__n_estimators": [100],
             "model__learning_rate": [0.05, 0.1]},
}
FOLDS = 3


def features(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The model's inputs and its target: the lab's columns, without dates, `AGE` and keys."""
    dates = [c for c in frame.columns if "DATE" in c.upper()]
    x = frame.drop(columns=[c for c in (*DROPPED, *dates, TARGET) if c in frame.columns])
    return x, frame[TARGET].astype(bool).astype(int)


def pipeline(x: pd.DataFrame, seed: int) -> Pipeline:
    from xgboost import XGBClassifier

    ordered = [c for c in ORDERS if c in x.columns]
    categories = [c for c in x.columns if c not in ordered and not _numeric(x[c])]
    numbers = [c for c in x.columns if c not in ordered and _numeric(x[c])]
    encode = ColumnTransformer([
        ("ordinal", OrdinalEncoder(categories=[ORDERS[c] for c in ordered],
                                   handle_unknown="use_encoded_value", unknown_value=-1), ordered),
        ("one_hot", OneHotEncoder(handle_unknown="ignore"), categories),
        ("scale", StandardScaler(), numbers),
    ])
    model = XGBClassifier(n_jobs=1, random_state=seed, tree_method="hist", eval_metric="logloss")
    return Pipeline([("encode", encode), ("model", model)])


def grid_search(x: pd.DataFrame, y: pd.Series, *, grid: str = "full", seed: int = 0
                ) -> GridSearchCV:
    """The best pipeline of the grid by cross-validated ROC AUC, refitted on all of `x`."""
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    search = GridSearchCV(pipeline(x, seed), GRIDS[grid], scoring="roc_auc", cv=folds, n_jobs=2)
    return search.fit(x, y)


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)
