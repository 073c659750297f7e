#!/usr/bin/env python3
"""The privacy targets of issue 5, measured: the shipped insurance tables and a generated
adult-census-like table, each split 80/20 into the rows *given* to lookalike and *unseen* rows that
neither the model nor the filter ever sees. On the given rows lookalike does what the procedure
does with the filter on: holds out 20% (the filter's calibration rows), fits the Synthesizer's
defaults plus `protect_extremes` on the rest, and samples through the similarity filter as many
rows as it trained on. Privacy is measured with `privacy_metrics` between the rows the model
trained on and the unseen rows, for

- filter on: the filtered output;
- filter off: the same model's unfiltered output;
- fresh real: the filter's calibration rows, real rows the model never saw: what an ideal
  generator would score on this split. Its spread shows how much of a single split's figure is
  the noise of a small holdout rather than the model.

    /work/venv/bin/python benchmarks/privacy_targets.py --seeds 20 --tables claim_data,customer_data

Targets: no kept row closer than the threshold, the row count as asked, DCR share <= 0.52,
membership-inference AUC <= 0.55. Over several seeds it prints each measure's mean with a 95%
interval (Student's t over the splits) and the largest single split.
"""

from __future__ import annotations

import argparse
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
from scipy import stats

from lookalike import Synthesizer
from lookalike.io.files import read_table
from lookalike.multitable import KeyColumn, MultiTableSynthesizer, infer_relationships
from lookalike.privacy import (
    FilterOptions,
    calibrate,
    filtered_family_sample,
    filtered_sample,
    privacy_metrics,
    protect_extremes,
    split_families,
    split_holdout,
)
from lookalike.privacy.families import own_columns
from lookalike.privacy.neighbours import nearest

INSURANCE = Path(str(resources.files("lookalike") / "data" / "insurance"))
JOIN_KEYS = {"POLICY_NUMBER"}


def adult_like(n_rows: int, seed: int = 0) -> pa.Table:
    """Census-like rows: age drives education, marital status and hours; education drives
    occupation and income; sex shifts hours and income; capital gains are mostly 0."""
    rng = np.random.default_rng(seed)
    age = np.clip(rng.gamma(6, 6.5, n_rows) + 17, 17, 90).round().astype(np.int64)
    levels = np.array(["HS-grad", "Some-college", "Bachelors", "Masters", "Doctorate", "11th"])
    edu_score = rng.normal(0.02 * (age - 40), 1, n_rows)
    education = levels[np.digitize(edu_score, [-1.2, -0.2, 0.6, 1.4, 2.2]) % 6]
    education_num = {"11th": 7, "HS-grad": 9, "Some-college": 10, "Bachelors": 13,
                     "Masters": 14, "Doctorate": 16}
    years = np.vectorize(education_num.get)(education).astype(np.int64)
    sex = np.where(rng.random(n_rows) < 0.67, "Male", "Female")
    married = rng.random(n_rows) < np.clip(0.1 + 0.012 * (age - 17), 0, 0.7)
    marital = np.where(married, "Married-civ-spouse",
                       np.where(rng.random(n_rows) < 0.7, "Never-married", "Divorced"))
    occupations = np.array(["Prof-specialty", "Exec-managerial", "Craft-repair", "Sales",
                            "Adm-clerical", "Other-service", "Machine-op-inspct", "Tech-support"])
    occupation = occupations[np.clip((16 - years) // 2 + rng.integers(0, 4, n_rows), 0, 7)]
    hours = np.clip(rng.normal(40 + 4 * (sex == "Male") - 0.1 * np.abs(age - 45), 10), 1, 99)
    logit = -9 + 0.45 * years + 0.03 * age + 1.0 * married + 0.5 * (sex == "Male")
    income = np.where(rng.random(n_rows) < 1 / (1 + np.exp(-logit)), ">50K", "<=50K")
    gain = np.where(rng.random(n_rows) < 0.08, np.round(rng.lognormal(8.5, 1, n_rows), -1), 0.0)
    race = rng.choice(["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"],
                      n_rows, p=[0.85, 0.09, 0.03, 0.01, 0.02])
    return pa.table({
        "age": age, "workclass": rng.choice(["Private", "Self-emp", "Local-gov", "State-gov"],
                                            n_rows, p=[0.75, 0.12, 0.08, 0.05]),
        "fnlwgt": np.round(rng.lognormal(12, 0.5, n_rows)).astype(np.int64),
        "education": education, "education_num": years, "marital_status": marital,
        "occupation": occupation, "race": race, "sex": sex, "capital_gain": gain,
        "hours_per_week": hours.round().astype(np.int64), "income": income,
    })


def measure(name: str, real: pa.Table, seed: int, options: FilterOptions,
            found: dict) -> list[str]:
    given, unseen = split_holdout(real, seed=seed)
    train, calibration_rows = split_holdout(given, seed=seed + 1)
    exclude = JOIN_KEYS & set(real.column_names)
    started = time.perf_counter()
    model = protect_extremes(Synthesizer(random_state=seed).fit(train), train)
    filtered, report = filtered_sample(model, train, calibration_rows, train.num_rows,
                                       options=options, exclude=exclude)
    seconds = time.perf_counter() - started
    calibration = calibrate(train, calibration_rows, options=options, columns=model.columns_,
                            exclude=exclude)
    closest = nearest(calibration.train_points, calibration.encoder.transform(filtered), 1)
    below = int((closest.distances[:, 0] < report.dcr_threshold).sum())
    lines = []
    outputs = {"filter on": filtered, "filter off": model.sample(train.num_rows),
               "fresh real": calibration_rows}
    for label, synthetic in outputs.items():
        m = privacy_metrics(train, unseen, synthetic, columns=model.columns_, exclude=exclude,
                            seed=seed)
        found.setdefault((name, label), []).append((m.dcr_share, m.mia_auc))
        lines.append(
            f"| {name} | {label} | {train.num_rows:,}/{unseen.num_rows:,} "
            f"| {synthetic.num_rows:,} | {m.dcr_share:.3f} | {m.mia_auc:.3f} "
            f"| {m.exact_copy_rate:.3f} ({m.holdout_exact_copy_rate:.3f}) | "
            + (f"{report.rows_dropped:,}/{report.rows_checked:,} in {report.rounds} rounds, "
               f"threshold {report.dcr_threshold:.3f}, {below} kept rows below it, "
               f"{seconds:.2f} s |" if label == "filter on" else "- |"))
    return lines


def measure_pair(tables: dict[str, pa.Table], seed: int, options: FilterOptions,
                 found: dict) -> list[str]:
    """The insurance tables together, joined by POLICY_NUMBER: families (a customer and their
    claims) split as the procedure splits them, the filter run family by family."""
    keys = {name: ["POLICY_NUMBER"] for name in tables}
    relationships = infer_relationships(tables, [KeyColumn(t, "POLICY_NUMBER") for t in tables])
    given, unseen = split_families(tables, relationships, seed=seed)
    train, calibration_rows = split_families(given, relationships, seed=seed + 1)
    started = time.perf_counter()
    model = MultiTableSynthesizer(relationships=relationships, random_state=seed).fit(
        train, keys=keys)
    filtered, reports = filtered_family_sample(model, train, calibration_rows, options=options,
                                               keys=keys)
    seconds = time.perf_counter() - started
    outputs = {"filter on": filtered, "filter off": model.sample(),
               "fresh real": calibration_rows}
    customers = set(filtered["customers"]["POLICY_NUMBER"].to_pylist())
    orphans = sum(key not in customers for key in filtered["claims"]["POLICY_NUMBER"].to_pylist())
    lines = []
    for label, synthetic in outputs.items():
        for name in tables:
            m = privacy_metrics(train[name], unseen[name], synthetic[name],
                                columns=own_columns(model, name), exclude=JOIN_KEYS, seed=seed)
            found.setdefault((f"{name} (pair)", label), []).append((m.dcr_share, m.mia_auc))
            report = reports[name]
            lines.append(
                f"| {name} (pair) | {label} | {train[name].num_rows:,}/{unseen[name].num_rows:,} "
                f"| {synthetic[name].num_rows:,} | {m.dcr_share:.3f} | {m.mia_auc:.3f} "
                f"| {m.exact_copy_rate:.3f} ({m.holdout_exact_copy_rate:.3f}) | "
                + (f"{report.rows_dropped:,}/{report.rows_checked:,}, threshold "
                   f"{report.dcr_threshold:.3f}, {orphans} orphan claims, {seconds:.2f} s |"
                   if label == "filter on" else "- |"))
    return lines


def interval(values: np.ndarray) -> str:
    """Mean [95% Student's t interval] (largest) of one measure over the splits."""
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return (f"{values.mean():.3f} [{values.mean() - half:.3f}, {values.mean() + half:.3f}] "
            f"({values.max():.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=1,
                        help="measure seeds SEED .. SEED+SEEDS-1 and print means and intervals")
    parser.add_argument("--adult-rows", type=int, default=30_000)
    parser.add_argument("--tables", default="claim_data,customer_data,adult-like",
                        help="any of claim_data, customer_data, adult-like, insurance-pair")
    parser.add_argument("--dcr-quantile", type=float, default=FilterOptions.dcr_quantile)
    args = parser.parse_args()
    options = FilterOptions(dcr_quantile=args.dcr_quantile)
    makers = {"claim_data": lambda: read_table(INSURANCE / "claim_data.csv"),
              "customer_data": lambda: read_table(INSURANCE / "customer_data.csv"),
              "adult-like": lambda: adult_like(args.adult_rows, args.seed)}
    names = args.tables.split(",")
    tables = {name: makers[name]() for name in names if name != "insurance-pair"}
    pair = {"claims": read_table(INSURANCE / "claim_data.csv"),
            "customers": read_table(INSURANCE / "customer_data.csv")}
    print("| table | output | train/unseen rows | output rows | DCR share | MIA AUC "
          "| exact copies (unseen's) | filter: dropped/checked, threshold |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    found: dict = {}
    for seed in range(args.seed, args.seed + args.seeds):
        for name, table in tables.items():
            for line in measure(name, table, seed, options, found):
                print(line, flush=True)
        if "insurance-pair" in names:
            for line in measure_pair(pair, seed, options, found):
                print(line, flush=True)
    if args.seeds > 1:
        print(f"\nover {args.seeds} splits, mean [95% interval] (largest split):\n"
              f"| table | output | DCR share | MIA AUC | splits with DCR share > 0.52 "
              f"| with MIA AUC > 0.55 |\n| --- | --- | --- | --- | --- | --- |")
        for (name, label), values in found.items():
            dcr, mia = np.array(values).T
            print(f"| {name} | {label} | {interval(dcr)} | {interval(mia)} "
                  f"| {(dcr > 0.52).sum()} of {len(dcr)} | {(mia > 0.55).sum()} of {len(mia)} |")
        print("\npaired with fresh real rows on the same split (output minus fresh real), "
              "mean [95% interval]:\n| table | output | DCR share | MIA AUC |\n| --- | --- | --- | --- |")
        for (name, label), values in found.items():
            if label != "fresh real":
                gap = np.array(values) - np.array(found[(name, "fresh real")])
                print(f"| {name} | {label} | {interval(gap[:, 0])} | {interval(gap[:, 1])} |")


if __name__ == "__main__":
    main()
