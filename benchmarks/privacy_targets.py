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

    /work/venv/bin/python benchmarks/privacy_targets.py --seed 20 --seeds 20 \
        --tables claim_data,customer_data,insurance-pair

Targets: no kept row closer than the threshold, the row count as asked, DCR share <= 0.52,
membership-inference AUC <= 0.55. Over several seeds it prints each measure's mean with a 95%
interval (Nadeau and Bengio's corrected resampled t: the splits share rows, so a plain t-interval
would be too narrow), the largest single split, how many splits pass 0.52 when each output is cut
to the fresh rows' size (equal sizes, equal noise), and paired gaps on the same split: filter on
minus off (what the filter does), and each output minus fresh real rows.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa

from lookalike import Synthesizer
from lookalike.intervals import Interval
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


@dataclass
class Measured:
    """One output of one split: the two targets, and the DCR share of as many output rows as
    the fresh real rows have (so that single splits compare at equal size)."""

    dcr_share: float
    mia_auc: float
    dcr_share_equal_size: float
    test_per_train: float  # unseen rows / rows learned from, for the corrected interval


def measure_outputs(table_name: str, train: pa.Table, unseen: pa.Table, outputs: dict,
                    columns: list, seed: int, found: dict, notes: dict[str, str]) -> list[str]:
    """Privacy of each output (filter on, filter off, fresh real) against the unseen rows, one
    markdown row each; `notes` adds a last cell per output."""
    fresh_rows = outputs["fresh real"].num_rows
    lines = []
    for label, rows in outputs.items():
        m = privacy_metrics(train, unseen, rows, columns=columns, exclude=JOIN_KEYS, seed=seed)
        equal = privacy_metrics(train, unseen, rows.slice(0, fresh_rows), columns=columns,
                                exclude=JOIN_KEYS, seed=seed)
        found.setdefault((table_name, label), []).append(Measured(
            m.dcr_share, m.mia_auc, equal.dcr_share, unseen.num_rows / train.num_rows))
        lines.append(
            f"| {table_name} | {label} | {train.num_rows:,}/{unseen.num_rows:,} "
            f"| {rows.num_rows:,} | {m.dcr_share:.3f} | {m.mia_auc:.3f} "
            f"| {m.exact_copy_rate:.3f} ({m.holdout_exact_copy_rate:.3f}) "
            f"| {notes.get(label, '-')} |")
    return lines


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
    outputs = {"filter on": filtered, "filter off": model.sample(train.num_rows),
               "fresh real": calibration_rows}
    notes = {"filter on": f"{report.rows_dropped:,}/{report.rows_checked:,} dropped in "
                          f"{report.rounds} rounds, threshold {report.dcr_threshold:.3f}, "
                          f"{below} kept rows below it, {seconds:.2f} s"}
    return measure_outputs(name, train, unseen, outputs, model.columns_, seed, found, notes)


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
    lines = []
    for name in tables:
        notes = {"filter on": f"{reports[name].rows_dropped:,}/{reports[name].rows_checked:,} "
                              f"dropped, threshold {reports[name].dcr_threshold:.3f}, "
                              f"{seconds:.2f} s for both tables"}
        if name == "claims":
            for label in ("filter on", "filter off"):
                notes[label] = (notes.get(label, "") + f"; {orphans(outputs[label])} claims "
                                "without their customer").lstrip("; ")
        lines += measure_outputs(f"{name} (pair)", train[name], unseen[name],
                                 {label: out[name] for label, out in outputs.items()},
                                 own_columns(model, name), seed, found, notes)
    return lines


def orphans(tables: dict[str, pa.Table]) -> int:
    customers = set(tables["customers"]["POLICY_NUMBER"].to_pylist())
    return sum(key not in customers for key in tables["claims"]["POLICY_NUMBER"].to_pylist())


def summary(values: list[float], test_per_train: float, largest: bool = True) -> str:
    """Mean [95% interval, corrected for splits that share rows] (largest split)."""
    text = str(Interval.of(values, test_per_train))
    return f"{text} ({max(values):.3f})" if largest else text


def print_summary(found: dict, seeds: int) -> None:
    print(f"\nover {seeds} splits: mean [95% interval, Nadeau and Bengio's correction for "
          f"splits that share rows] (largest split)\n"
          f"| table | output | DCR share | MIA AUC | splits with DCR share > 0.52, at the fresh "
          f"rows' size | splits with MIA AUC > 0.55 |\n| --- | --- | --- | --- | --- | --- |")
    for (name, label), runs in found.items():
        ratio = runs[0].test_per_train
        dcr, mia = [r.dcr_share for r in runs], [r.mia_auc for r in runs]
        over = sum(r.dcr_share_equal_size > 0.52 for r in runs)
        print(f"| {name} | {label} | {summary(dcr, ratio)} | {summary(mia, ratio)} "
              f"| {over} of {len(runs)} | {sum(m > 0.55 for m in mia)} of {len(runs)} |")
    print("\npaired on the same split, mean [corrected 95% interval]:\n"
          "| table | gap | DCR share | MIA AUC |\n| --- | --- | --- | --- |")
    for name in dict.fromkeys(table for table, _ in found):
        for first, second in (("filter on", "filter off"), ("filter on", "fresh real"),
                              ("filter off", "fresh real")):
            a, b = found[(name, first)], found[(name, second)]
            ratio = a[0].test_per_train
            dcr = [x.dcr_share - y.dcr_share for x, y in zip(a, b, strict=True)]
            mia = [x.mia_auc - y.mia_auc for x, y in zip(a, b, strict=True)]
            print(f"| {name} | {first} minus {second} | {summary(dcr, ratio, False)} "
                  f"| {summary(mia, ratio, False)} |")


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
              "adult-like": lambda: adult_like(args.adult_rows)}
    names = args.tables.split(",")
    tables = {name: makers[name]() for name in names if name != "insurance-pair"}
    pair = {"claims": read_table(INSURANCE / "claim_data.csv"),
            "customers": read_table(INSURANCE / "customer_data.csv")}
    print("| table | output | train/unseen rows | output rows | DCR share | MIA AUC "
          "| exact copies (unseen's) | notes |")
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
        print_summary(found, args.seeds)


if __name__ == "__main__":
    main()
