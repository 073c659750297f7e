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

from lookalike.demo import evaluation as fair
from lookalike.demo.drift import FeatureDrift, drift
from lookalike.demo.fake_rows import llm_customers
from lookalike.demo.fraud_model import GRIDS, features, grid_search
from lookalike.demo.lab import DATA, NOTEBOOK, catalog, load_lab, open_database, write_arrow
from lookalike.demo.prepare import AMOUNT, clean, join_claims, modes, plot_claim_amount
from lookalike.demo.registry import Registered, load, register
from lookalike.demo.synthesis import lab_config, read_frames, synthesise, synthetic_claims
from lookalike.demo.terminal import arrow_table, evaluation_table, metrics_table, summary_table
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
    options.output.mkdir(parents=True, exist_ok=True)
    with open_database(options.database, options.output) as db:
        _clear_earlier_run(options.output)  # only once the run can start: a bad URL keeps them
        result = _Demo(options, db, console).run()
    from lookalike.demo.page import write_page

    result.paths["summary"] = options.output / "summary.json"
    result.paths["report"] = options.output / "report.html"
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
    if options.seed < 0:
        problems.append(f"seed must be 0 or more, not {options.seed}")
    if options.output.exists() and not options.output.is_dir():
        problems.append(f"output {options.output} is a file; give a folder")
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


class _Demo:
    """One run: the open database, the console, what the steps found so far, and the result."""

    def __init__(self, options: DemoOptions, db: Connector, console: Console) -> None:
        self.options, self.db, self.console = options, db, console
        self.result = DemoResult(options)
        self.steps = Steps(console, self.result)
        self.real: dict[str, pd.DataFrame] = {}
        self.synthetic: dict[str, pd.DataFrame] = {}
        self.fill: dict[str, str] = {}

    def run(self) -> DemoResult:
        self.set_up()
        self.fake_rows()
        self.synthesise()
        stacked = self.prepare()
        self.lab_model(stacked)
        self.evaluate()
        model, trained_on = self.register()
        self.check_drift(model, trained_on)
        return self.result

    def joined(self, name: str = "CLAIM_DATA", synthetic: bool = False) -> pd.DataFrame:
        tables = self.synthetic if synthetic else self.real
        return join_claims(tables[name], self.real["CUSTOMER_DATA"] if name == "CLAIM_DATA_NEW"
                           else tables["CUSTOMER_DATA"], synthetic=synthetic)

    def set_up(self) -> None:
        with self.steps.run("Set up the database") as step:
            tables = load_lab(self.db)
            self.result.database = catalog(self.db)
            self.real = {name: self.db.read_table(table).to_pandas()
                         for name, table in tables.items()}
            loaded = ", ".join(f"{name} {len(frame):,}" for name, frame in self.real.items())
            step.outcome = f"{self.result.database}.{DATA}: {loaded} rows"
        if self.options.database is None:
            self.result.paths["database"] = (self.options.output
                                             / f"{self.result.database}.duckdb")

    def fake_rows(self) -> None:
        with self.steps.run("LLM route: fake customers from the schema") as step:
            if not self.options.llm:
                step.outcome = "skipped (--skip-llm)"
                return
            customers = pa.Table.from_pandas(self.real["CUSTOMER_DATA"], preserve_index=False)
            rows, table = llm_customers(self.db, customers, self.options.llm_rows,
                                        seed=self.options.seed, progress=self.options.progress,
                                        log=self.console.print)
            self.result.llm_rows = rows
            self.console.print(arrow_table(rows, f"{table.schema}.{table.table}"))
            step.outcome = f"{rows.num_rows} valid rows in {table.schema}.{table.table}"

    def synthesise(self) -> None:
        with self.steps.run("Statistical route: GENERATE_SYNTHETIC_DATA") as step:
            config = lab_config(self.db, seed=self.options.seed)
            paths = self.result.paths
            paths["quality_reports"] = self.options.output / "reports"
            paths["metrics"] = self.options.output / "metrics.csv"
            metrics = synthesise(self.db, config, report=paths["quality_reports"],
                                 progress=self.options.progress)
            self.result.metrics = metrics
            metrics.to_csv(paths["metrics"], index=False)
            self.console.print(metrics_table(metrics))
            claims, customers = read_frames(self.db, config, "output_table")
            self.synthetic = {"CLAIM_DATA": claims, "CUSTOMER_DATA": customers}
            step.outcome = (f"{len(claims):,} synthetic claims, {len(customers):,} synthetic "
                            f"customers")

    def prepare(self) -> pd.DataFrame:
        """Real and synthetic claims joined, marked, stacked and cleaned, as the lab does."""
        with self.steps.run("Join, mark IS_SYNTHETIC, clean, plot CLAIM_AMOUNT") as step:
            real, synthetic = self.joined(), self.joined(synthetic=True)
            self.fill = modes(real)
            stacked = clean(pd.concat([real, synthetic], ignore_index=True), self.fill)
            write_arrow(self.db, NOTEBOOK, STACKED,
                        pa.Table.from_pandas(stacked, preserve_index=False))
            plot = plot_claim_amount(real[AMOUNT], synthetic[AMOUNT],
                                     self.options.output / "claim_amount.png")
            self.result.paths["plot"] = plot
            step.outcome = (f"{NOTEBOOK}.{STACKED}: {len(real):,} real + "
                            f"{len(synthetic):,} synthetic rows; {plot.name}")
        return stacked

    def lab_model(self, stacked: pd.DataFrame) -> None:
        title = "Train the lab's model (XGBoost, grid search) on real + synthetic"
        with self.steps.run(title) as step:
            search = grid_search(*features(stacked), grid=self.options.grid,
                                 seed=self.options.seed)
            params = _params(search)
            self.result.lab_model = {"cv_auc": float(search.best_score_), "params": params,
                                     "rows": len(stacked),
                                     "candidates": len(search.cv_results_["params"])}
            step.outcome = (f"cross-validated ROC AUC {search.best_score_:.3f}, best of "
                            f"{self.result.lab_model['candidates']} settings (the lab's figure: "
                            f"its folds hold synthetic rows too; step 6 tests on real ones)")
            self.console.print(f"      best settings: {params}")

    def evaluate(self) -> None:
        options = self.options
        title = (f"Evaluate on held-out real claims ({options.seeds} seeds, "
                 f"{options.holdout_share:.0%} of customers held out)")
        with self.steps.run(title) as step:
            evaluation = fair.evaluate_fairly(
                self.db, self.real["CLAIM_DATA"], self.real["CUSTOMER_DATA"],
                seeds=range(options.seeds), padding=options.padding, grid=options.grid,
                holdout_share=options.holdout_share,
                on_seed=lambda seed: self.console.print(f"      seed {seed} done"))
            self.result.evaluation = evaluation
            self.console.print(evaluation_table(evaluation))
            best = evaluation.best()
            verdict = (f"{best.variant} clearly helps: {best.auc}" if best.variant != fair.REAL
                       else "no training set with synthetic rows clearly helps")
            step.outcome = f"real only ROC AUC {evaluation.summary(fair.REAL).auc}; {verdict}"

    def register(self) -> tuple[Any, pd.DataFrame]:
        """The training set step 6 chose, rebuilt from all the real data, grid-searched,
        registered, and loaded back from the registry."""
        with self.steps.run("Register the best model (MLflow, SQLite backend)") as step:
            best = self.result.evaluation.best()
            x, y = features(clean(self.final_training(best.variant), self.fill))
            search = grid_search(x, y, grid=self.options.grid, seed=self.options.seed)
            folder = self.options.output / "mlflow"
            registered = register(
                search.best_estimator_, x.head(5), folder, params=_params(search),
                metrics={"cv_roc_auc": float(search.best_score_), **_recipe_metrics(best)},
                tags={"training_set": best.variant, "training_rows": str(len(x))})
            self.result.registered = registered
            self.result.paths["registry"] = folder / "mlflow.db"
            step.outcome = f"{registered.uri}, trained on {best.variant} ({len(x):,} rows)"
            self.console.print(f"      load it back: {registered.load_hint()}")
            return load(registered, folder), x

    def final_training(self, variant: str) -> pd.DataFrame:
        """`variant`'s training set from all the real rows (and k x synthetic ones)."""
        real = self.joined()
        if variant == fair.REAL:
            return real
        k = next((k for k in self.options.padding if fair.padded(k) == variant), 1)
        synthetic = self.joined(synthetic=True)
        if k > 1:
            config = lab_config(self.db, output_suffix=f"_SYNTHETIC_{k}X", seed=self.options.seed,
                                customer_rows=k * len(self.real["CUSTOMER_DATA"]))
            synthetic = synthetic_claims(self.db, config)
        if variant == fair.SYNTHETIC:
            return synthetic
        return pd.concat([real, synthetic], ignore_index=True)

    def check_drift(self, model: Any, trained_on: pd.DataFrame) -> None:
        from sklearn.metrics import accuracy_score, roc_auc_score

        with self.steps.run("Score the new claims and check drift (PSI)") as step:
            x, y = features(clean(self.joined("CLAIM_DATA_NEW"), self.fill))
            chance = model.predict_proba(x)[:, 1]
            result = self.result
            result.new_claims = {"rows": len(x), "roc_auc": float(roc_auc_score(y, chance)),
                                 "accuracy": float(accuracy_score(y, chance >= 0.5)),
                                 "fraud_share_predicted": float((chance >= 0.5).mean()),
                                 "fraud_share": float(y.mean())}
            result.drift = drift(trained_on, x)
            shifted = [d for d in result.drift if d.psi >= 0.1]
            step.outcome = (f"{len(x)} new claims: ROC AUC {result.new_claims['roc_auc']:.3f}; "
                            f"{len(shifted)} of {len(result.drift)} features shifted, most "
                            f"{result.drift[0].feature} (PSI {result.drift[0].psi:.2f})")


def _params(search: Any) -> dict[str, Any]:
    return {name.removeprefix("model__"): value for name, value in search.best_params_.items()}


def _recipe_metrics(best: fair.VariantSummary) -> dict[str, float]:
    """Step 6's score of the training recipe (not of this very model), with its interval."""
    metrics = {"recipe_heldout_real_roc_auc": best.auc.mean}
    if best.auc.low is not None:
        metrics |= {"recipe_heldout_real_roc_auc_low": best.auc.low,
                    "recipe_heldout_real_roc_auc_high": best.auc.high}
    return metrics
