"""Step 7: register the best model, with a version, in a real model registry: MLflow's, backed by
a SQLite file in the demo's output folder (artifacts next to it). Each run adds a version.

MLflow is imported only here, with its usage telemetry switched off (no data leaves the machine).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

MODEL_NAME = "insurance_fraud"
EXPERIMENT = "lookalike-demo"
# MLflow saves scikit-learn models with skops (no pickle), which loads only the types it is told
# to trust: the pipeline's own are trusted already, XGBoost's are named here.
TRUSTED_TYPES = ["xgboost.core.Booster", "xgboost.sklearn.XGBClassifier"]


@dataclass(frozen=True)
class Registered:
    name: str
    version: str
    run_id: str
    tracking_uri: str

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    def load_hint(self) -> str:
        return (f'import mlflow; mlflow.set_tracking_uri("{self.tracking_uri}"); '
                f'model = mlflow.sklearn.load_model("{self.uri}")')


def _mlflow(folder: Path):
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    import mlflow

    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.ERROR)
    uri = f"sqlite:///{(folder / 'mlflow.db').resolve()}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow, uri


def register(model: Any, example: pd.DataFrame, folder: Path, *, params: dict[str, Any],
             metrics: dict[str, float], tags: dict[str, str]) -> Registered:
    """Log `model` (a scikit-learn pipeline) with its parameters, metrics and tags in a run, and
    register it as a new version of `insurance_fraud`."""
    folder.mkdir(parents=True, exist_ok=True)
    mlflow, uri = _mlflow(folder)
    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    experiment_id = experiment.experiment_id if experiment else mlflow.create_experiment(
        EXPERIMENT, artifact_location=(folder / "mlartifacts").resolve().as_uri())
    # MLflow prints its own chatter ("Successfully registered model ..."): the demo reports it
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
            mlflow.set_tags(tags)
            logged = mlflow.sklearn.log_model(model, name="model", input_example=example,
                                              registered_model_name=MODEL_NAME,
                                              skops_trusted_types=TRUSTED_TYPES)
    return Registered(MODEL_NAME, str(logged.registered_model_version), run.info.run_id, uri)


def load(registered: Registered, folder: Path) -> Any:
    """The registered model, loaded back from the registry (as a user would)."""
    mlflow, _ = _mlflow(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mlflow.sklearn.load_model(registered.uri)
