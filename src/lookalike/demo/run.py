"""The demo's steps in order, each printed with what it did and how long it took."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from rich.console import Console
from rich.table import Table

from lookalike.demo import evaluation as fair
from lookalike.demo.drift import FeatureDrift, drift
from lookalike.demo.fake_rows import llm_customers
from lookalike.demo.fraud_model import GRIDS, features, grid_search
from lookalike.demo.lab import DATA, NOTEBOOK, catalog, load_lab, open_database, write_arrow
from lookalike.demo.prepare import AMOUNT, clean, join_claims, modes, plot_claim_amount
from lookalike.demo.registry import Registered, load, register
from lookalike.demo.synthesis import lab_config, read_frames, synthesise
from lookalike.errors import InvalidOptionError, LookalikeError
from lookalike.io.base import Connector

STEPS = 8
STACKED = "CLAIMS_REAL_AND_SYNTHETIC"


class DemoDependencyError(LookalikeError, ImportError):
    """The demo needs its extra: pip install 'lookalike[demo]'."""


@dataclass
class DemoOptions:
    """What `lookalike demo` runs; every field has the CLI's default."""

    output: Path = Path("lookalike-demo")
    database: str | None = None  # a URL; None: a DuckDB file in `output`
    seeds: int = 5
    padding: tuple[int, ...] = (1, 2, 5)
    grid: str = "full"
    llm: bool = True
    llm_rows: int = 10
    holdout_share: float = 0.25
    seed: int = 7
    progress: bool = False


@dataclass
class StepRecord:
    number: int
    title: str
    seconds: float = 0.0
    outcome: str = ""


@dataclass
class DemoResult:
    """Everything the demo measured, and where it left its artifacts."""

    options: DemoOptions
    database: str = ""
    steps: list[StepRecord] = field(default_factory=list)
    metrics: pd.DataFrame | None = None
    llm_rows: pa.Table | None = None
    lab_model: dict[str, Any] = field(default_factory=dict)
    evaluation: fair.Evaluation | None = None
    registered: Registered | None = None
    new_claims: dict[str, float] = field(default_factory=dict)
    drift: list[FeatureDrift] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "steps": [vars(step) for step in self.steps],
            "lab_model": self.lab_model,
            "evaluation": self.evaluation.to_dict() if self.evaluation else None,
            "registered": vars(self.registered) | {"uri": self.registered.uri}
            if self.registered else None,
            "new_claims": self.new_claims,
            "drift": [{"feature": d.feature, "psi": d.psi, "level": d.level}
                      for d in self.drift],
            "paths": {name: str(path) for name, path in self.paths.items()},
            "seconds": sum(step.seconds for step in self.steps),
        }


def require_extras(llm: bool) -> None:
    """Every missing package at once, before anything runs."""
    needed = {"xgboost": "xgboost", "mlflow": "mlflow", "jinja2": "jinja2",
              "matplotlib": "matplotlib"}
    if llm:
        needed |= {"torch": "torch", "transformers": "transformers"}
    missing = [name for name, module in needed.items() if importlib.util.find_spec(module) is None]
    if not missing:
        return
    skip = "; or pass --skip-llm to run without the language model" if (
        {"torch", "transformers"} & set(missing)) else ""
    raise DemoDependencyError(f"the demo needs {', '.join(missing)}: pip install "
                              f"'lookalike[demo]' (from a checkout: pip install -e '.[demo]')"
                              + skip)


class Steps:
    """Numbered steps with timings, printed as they finish."""

    def __init__(self, console: Console, result: DemoResult) -> None:
        self.console, self.result = console, result

    @contextmanager
    def run(self, title: str) -> Iterator[StepRecord]:
        record = StepRecord(len(self.result.steps) + 1, title)
        self.console.print(f"[bold][{record.number}/{STEPS}] {title}[/bold]")
        start = time.perf_counter()
        try:
            yield record
        except BaseException:
            self.console.print(f"      [red]failed after {time.perf_counter() - start:.1f} s"
                               f"[/red]")
            raise
        record.seconds = time.perf_counter() - start
        self.result.steps.append(record)
        self.console.print(f"      {record.outcome} [dim]({record.seconds:.1f} s)[/dim]")


def run_demo(options: DemoOptions, console: Console | None = None) -> DemoResult:
    """Run the lab end to end (see lookalike.demo); returns what it measured."""
    check_options(options)
    require_extras(options.llm)
    # a log file or pipe gets wide tables rather than 80 wrapped columns
    console = console or Console(width=None if sys.stdout.isatty() else 120)
    result = DemoResult(options)
    steps = Steps(console, result)
    output = options.output
    output.mkdir(parents=True, exist_ok=True)
    _clear_earlier_run(output)
    with open_database(options.database, output) as db:
        real = _set_up(steps, db, result)
        _fake_rows(steps, db, real, options, result, console)
        synthetic = _synthesise(steps, db, options, result, console)
        stacked, fill = _prepare(steps, db, real, synthetic, result)
        _lab_model(steps, stacked, options, result, console)
        _evaluate(steps, db, real, options, result, console)
        model, trained_on = _register(steps, db, real, synthetic, fill, options, result,
                                      console)
        _drift(steps, real, fill, model, trained_on, result)
    from lookalike.demo.page import write_page

    result.paths["summary"] = output / "summary.json"
    result.paths["report"] = output / "report.html"
    _write_atomically(result.paths["summary"],
                      json.dumps(result.to_dict(), indent=2, default=str))
    write_page(result, result.paths["report"])
    console.print(summary_table(result))
    console.print(f"Report: [bold]{result.paths['report']}[/bold]")
    return result


def check_options(options: DemoOptions) -> None:
    """Every bad option at once, before anything runs (the CLI checks its own too)."""
    problems = []
    if options.grid not in GRIDS:
        problems.append(f"grid must be one of {', '.join(GRIDS)}, not {options.grid!r}")
    if options.seeds < 1:
        problems.append(f"seeds must be at least 1, not {options.seeds}")
    if not 0 < options.holdout_share < 1:
        problems.append(f"holdout_share must be between 0 and 1, not {options.holdout_share}")
    if not options.padding or min(options.padding) < 1:
        problems.append(f"padding must be whole numbers >= 1, not {options.padding}")
    if options.llm_rows < 1:
        problems.append(f"llm_rows must be at least 1, not {options.llm_rows}")
    if problems:
        raise InvalidOptionError("; ".join(problems))


def _clear_earlier_run(output: Path) -> None:
    """An earlier run's report and summary must not pass for this run's if this one fails."""
    for name in ("report.html", "summary.json", "metrics.csv", "claim_amount.png"):
        (output / name).unlink(missing_ok=True)
    shutil.rmtree(output / "reports", ignore_errors=True)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _set_up(steps: Steps, db: Connector, result: DemoResult) -> dict[str, pd.DataFrame]:
    with steps.run("Set up the database") as step:
        tables = load_lab(db)
        result.database = catalog(db)
        real = {name: db.read_table(table).to_pandas() for name, table in tables.items()}
        loaded = ", ".join(f"{name} {len(frame):,}" for name, frame in real.items())
        step.outcome = f"{result.database}.{DATA}: {loaded} rows"
    if result.options.database is None:
        result.paths["database"] = result.options.output / f"{result.database}.duckdb"
    return real


def _fake_rows(steps: Steps, db: Connector, real: dict[str, pd.DataFrame],
               options: DemoOptions, result: DemoResult, console: Console) -> None:
    with steps.run("LLM route: fake customers from the schema") as step:
        if not options.llm:
            step.outcome = "skipped (--skip-llm)"
            return
        customers = pa.Table.from_pandas(real["CUSTOMER_DATA"], preserve_index=False)
        rows, table = llm_customers(db, customers, options.llm_rows, seed=options.seed,
                                    progress=options.progress, log=console.print)
        result.llm_rows = rows
        console.print(arrow_table(rows, f"{table.schema}.{table.table}"))
        step.outcome = f"{rows.num_rows} valid rows in {table.schema}.{table.table}"


def _synthesise(steps: Steps, db: Connector, options: DemoOptions, result: DemoResult,
                console: Console) -> dict[str, pd.DataFrame]:
    with steps.run("Statistical route: GENERATE_SYNTHETIC_DATA") as step:
        config = lab_config(db, seed=options.seed)
        reports = options.output / "reports"
        metrics = synthesise(db, config, report=reports, progress=options.progress)
        result.metrics = metrics
        result.paths["metrics"] = options.output / "metrics.csv"
        result.paths["quality_reports"] = reports
        metrics.to_csv(result.paths["metrics"], index=False)
        console.print(metrics_table(metrics))
        claims, customers = read_frames(db, config, "output_table")
        step.outcome = (f"{len(claims):,} synthetic claims, {len(customers):,} synthetic "
                        f"customers")
    return {"CLAIM_DATA": claims, "CUSTOMER_DATA": customers}


def _prepare(steps: Steps, db: Connector, real: dict[str, pd.DataFrame],
             synthetic: dict[str, pd.DataFrame], result: DemoResult
             ) -> tuple[pd.DataFrame, dict[str, str]]:
    with steps.run("Join, mark IS_SYNTHETIC, clean, plot CLAIM_AMOUNT") as step:
        real_joined = join_claims(real["CLAIM_DATA"], real["CUSTOMER_DATA"], synthetic=False)
        synthetic_joined = join_claims(synthetic["CLAIM_DATA"], synthetic["CUSTOMER_DATA"],
                                       synthetic=True)
        fill = modes(real_joined)
        stacked = clean(pd.concat([real_joined, synthetic_joined], ignore_index=True), fill)
        write_arrow(db, NOTEBOOK, STACKED, pa.Table.from_pandas(stacked, preserve_index=False))
        plot = plot_claim_amount(real_joined[AMOUNT], synthetic_joined[AMOUNT],
                                 result.options.output / "claim_amount.png")
        result.paths["plot"] = plot
        step.outcome = (f"{NOTEBOOK}.{STACKED}: {len(real_joined):,} real + "
                        f"{len(synthetic_joined):,} synthetic rows; {plot.name}")
    return stacked, fill


def _lab_model(steps: Steps, stacked: pd.DataFrame, options: DemoOptions,
               result: DemoResult, console: Console) -> None:
    with steps.run("Train the lab's model (XGBoost, grid search) on real + synthetic") as step:
        x, y = features(stacked)
        search = grid_search(x, y, grid=options.grid, seed=options.seed)
        params = {k.removeprefix("model__"): v for k, v in search.best_params_.items()}
        result.lab_model = {"cv_auc": float(search.best_score_), "params": params,
                            "rows": len(x), "candidates": len(search.cv_results_["params"])}
        step.outcome = (f"cross-validated ROC AUC {search.best_score_:.3f}, best of "
                        f"{result.lab_model['candidates']} settings (the lab's figure: its folds "
                        f"hold synthetic rows too; step 6 tests on real ones)")
        console.print(f"      best settings: {params}")


def _evaluate(steps: Steps, db: Connector, real: dict[str, pd.DataFrame],
              options: DemoOptions, result: DemoResult, console: Console) -> None:
    title = (f"Evaluate on held-out real claims ({options.seeds} seeds, "
             f"{options.holdout_share:.0%} of customers held out)")
    with steps.run(title) as step:
        evaluation = fair.evaluate_fairly(
            db, real["CLAIM_DATA"], real["CUSTOMER_DATA"], seeds=range(options.seeds),
            padding=options.padding, grid=options.grid, holdout_share=options.holdout_share,
            on_seed=lambda seed: console.print(f"      seed {seed} done"))
        result.evaluation = evaluation
        console.print(evaluation_table(evaluation))
        best = evaluation.best()
        real_only = evaluation.summary(fair.REAL)
        verdict = (f"{best.variant} clearly helps: {best.auc}" if best.variant != fair.REAL
                   else "no training set with synthetic rows clearly helps")
        step.outcome = f"real only ROC AUC {real_only.auc}; {verdict}"


def _register(steps: Steps, db: Connector, real: dict[str, pd.DataFrame],
              synthetic: dict[str, pd.DataFrame], fill: dict[str, str], options: DemoOptions,
              result: DemoResult, console: Console) -> tuple[Any, pd.DataFrame]:
    """The best training set of step 6, rebuilt from all the real data, grid-searched,
    registered, and loaded back from the registry."""
    with steps.run("Register the best model (MLflow, SQLite backend)") as step:
        best = result.evaluation.best()
        frame = _final_training(db, best.variant, real, synthetic, options)
        x, y = features(clean(frame, fill))
        search = grid_search(x, y, grid=options.grid, seed=options.seed)
        folder = options.output / "mlflow"
        registered = register(
            search.best_estimator_, x.head(5), folder,
            params={k.removeprefix("model__"): v for k, v in search.best_params_.items()},
            metrics={"cv_roc_auc": float(search.best_score_),
                     # measured for this training recipe in step 6, not for this very model
                     "recipe_heldout_real_roc_auc": best.auc.mean,
                     **({"recipe_heldout_real_roc_auc_low": best.auc.low,
                         "recipe_heldout_real_roc_auc_high": best.auc.high}
                        if best.auc.low is not None else {})},
            tags={"training_set": best.variant, "training_rows": str(len(x))})
        model = load(registered, folder)
        result.registered = registered
        result.paths["registry"] = folder / "mlflow.db"
        step.outcome = f"{registered.uri}, trained on {best.variant} ({len(x):,} rows)"
        console.print(f"      load it back: {registered.load_hint()}")
    return model, x


def _final_training(db: Connector, variant: str, real: dict[str, pd.DataFrame],
                    synthetic: dict[str, pd.DataFrame], options: DemoOptions) -> pd.DataFrame:
    real_joined = join_claims(real["CLAIM_DATA"], real["CUSTOMER_DATA"], synthetic=False)
    if variant == fair.REAL:
        return real_joined
    k = next((k for k in options.padding if fair.padded(k) == variant), 1)
    if k > 1:
        config = lab_config(db, output_suffix=f"_SYNTHETIC_{k}X", seed=options.seed,
                            customer_rows=k * len(real["CUSTOMER_DATA"]))
        synthesise(db, config)
        synthetic_claims, synthetic_customers = read_frames(db, config, "output_table")
    else:
        synthetic_claims, synthetic_customers = synthetic["CLAIM_DATA"], synthetic["CUSTOMER_DATA"]
    synthetic_joined = join_claims(synthetic_claims, synthetic_customers, synthetic=True)
    if variant == fair.SYNTHETIC:
        return synthetic_joined
    return pd.concat([real_joined, synthetic_joined], ignore_index=True)


def _drift(steps: Steps, real: dict[str, pd.DataFrame], fill: dict[str, str], model: Any,
           trained_on: pd.DataFrame, result: DemoResult) -> None:
    from sklearn.metrics import accuracy_score, roc_auc_score

    with steps.run("Score the new claims and check drift (PSI)") as step:
        new = clean(join_claims(real["CLAIM_DATA_NEW"], real["CUSTOMER_DATA"], synthetic=False),
                    fill)
        x, y = features(new)
        chance = model.predict_proba(x)[:, 1]
        result.new_claims = {"rows": len(x), "roc_auc": float(roc_auc_score(y, chance)),
                             "accuracy": float(accuracy_score(y, chance >= 0.5)),
                             "fraud_share_predicted": float((chance >= 0.5).mean()),
                             "fraud_share": float(y.mean())}
        result.drift = drift(trained_on, x)
        shifted = [d for d in result.drift if d.psi >= 0.1]
        step.outcome = (f"{len(x)} new claims: ROC AUC {result.new_claims['roc_auc']:.3f}; "
                        f"{len(shifted)} of {len(result.drift)} features shifted, most "
                        f"{result.drift[0].feature} (PSI {result.drift[0].psi:.2f})")


# -- tables for the terminal -----------------------------------------------------------------

def arrow_table(table: pa.Table, title: str) -> Table:
    shown = Table(title=title)
    for name in table.column_names:
        shown.add_column(name)
    for row in table.to_pylist():
        shown.add_row(*("" if value is None else str(value) for value in row.values()))
    return shown


def metrics_table(metrics: pd.DataFrame) -> Table:
    """The procedure's metrics per output table (every row is in metrics.csv)."""
    shown = Table(title="GENERATE_SYNTHETIC_DATA: correlation_coefficient_difference")
    for column in ("table", "pairs", "mean", "max", "at"):
        shown.add_column(column)
    correlations = metrics[metrics["metric_type"] == "correlation_coefficient_difference"]
    for table, rows in correlations.groupby("table_name", sort=False):
        worst = rows.loc[rows["metric_value"].idxmax()]
        shown.add_row(str(table), str(len(rows)), f"{rows['metric_value'].mean():.3f}",
                      f"{worst['metric_value']:.3f}", str(worst["columns"]))
    return shown


def evaluation_table(evaluation: fair.Evaluation) -> Table:
    shown = Table(title=f"Held-out real claims, {len(evaluation.seeds)} seeds: mean "
                        f"[95% interval]")
    for column in ("training set", "rows", "ROC AUC", "accuracy", "AUC vs real only",
                   "verdict"):
        shown.add_column(column)
    for s in evaluation.summaries:
        shown.add_row(s.variant, f"{s.train_rows:,}", str(s.auc), str(s.accuracy),
                      "" if s.gain is None else str(s.gain), s.verdict)
    return shown


def summary_table(result: DemoResult) -> Table:
    shown = Table(title="lookalike demo: summary")
    for column in ("step", "seconds", "result"):
        shown.add_column(column)
    for step in result.steps:
        shown.add_row(f"{step.number}. {step.title}", f"{step.seconds:.1f}", step.outcome)
    shown.add_row("total", f"{sum(s.seconds for s in result.steps):.1f}", "")
    return shown
