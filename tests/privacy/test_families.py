"""The similarity filter on tables related by join keys: families held out whole, rows too close
drawn again (a child given the same synthetic parent), every key joins."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lookalike.datasets import insurance
from lookalike.multitable import KeyColumn, MultiTableSynthesizer, infer_relationships
from lookalike.privacy.families import filtered_family_sample, own_columns, split_families
from lookalike.privacy.filter import FilterOptions, SimilarityFilterError, calibrate
from lookalike.privacy.neighbours import nearest

KEYS = {"claims": ["POLICY_NUMBER"], "customers": ["POLICY_NUMBER"]}


@pytest.fixture(scope="module")
def insurance_tables() -> dict[str, pa.Table]:
    return {"claims": insurance("claim_data"), "customers": insurance("customer_data")}


@pytest.fixture(scope="module")
def relationships(insurance_tables):
    return infer_relationships(insurance_tables, [KeyColumn(t, "POLICY_NUMBER") for t in KEYS])


@pytest.fixture(scope="module")
def fitted(insurance_tables, relationships):
    train, holdout = split_families(insurance_tables, relationships, seed=0)
    model = MultiTableSynthesizer(relationships=relationships, random_state=2).fit(
        train, keys=KEYS)
    return model, train, holdout


def keys_of(table: pa.Table) -> set:
    return set(table["POLICY_NUMBER"].drop_null().to_pylist())


def test_families_are_held_out_whole(insurance_tables, relationships) -> None:
    train, holdout = split_families(insurance_tables, relationships, seed=0)
    assert holdout["customers"].num_rows == 240  # 20% of the 1,200 customers
    assert not keys_of(train["claims"]) & keys_of(holdout["customers"])
    assert not keys_of(holdout["claims"]) & keys_of(train["customers"])
    real_customers = keys_of(insurance_tables["customers"])
    held_claims = keys_of(holdout["claims"])
    assert held_claims & real_customers <= keys_of(holdout["customers"])
    for name, table in insurance_tables.items():
        assert train[name].num_rows + holdout[name].num_rows == table.num_rows


def test_children_with_a_null_key_are_families_of_their_own(relationships) -> None:
    """A NULL key joins no parent, not even a parent whose key is NULL."""
    customers = pa.table({"POLICY_NUMBER": pa.array([None, *range(1, 600)], pa.int64()),
                          "AGE": np.arange(600)})
    claims = pa.table({"POLICY_NUMBER": pa.array([None] * 400 + list(range(1, 201)), pa.int64()),
                       "CLAIM_AMOUNT": np.arange(600)})
    tables = {"claims": claims, "customers": customers}
    for seed in range(5):
        _train, holdout = split_families(tables, relationships, seed=seed)
        null_claims = holdout["claims"]["POLICY_NUMBER"].null_count
        assert 50 < null_claims < 110  # about 20% of 400 at random, not all or none of them


def test_tiny_tables_hold_nothing_out(insurance_tables, relationships) -> None:
    small = {name: table.slice(0, 300) for name, table in insurance_tables.items()}
    train, holdout = split_families(small, relationships)
    assert holdout is None and train["claims"].equals(small["claims"])


def test_no_row_is_too_close_every_key_joins_and_counts_are_kept(fitted) -> None:
    model, train, holdout = fitted
    options = FilterOptions(dcr_quantile=0.2)  # strict, so that rows of both tables are dropped
    synthetic, reports = filtered_family_sample(model, train, holdout, {"customers": 1_200},
                                                options=options, keys=KEYS)
    assert synthetic["customers"].num_rows == 1_200
    assert reports["claims"].rows_returned == reports["claims"].rows_requested
    assert synthetic["claims"].num_rows == reports["claims"].rows_requested
    assert pc.all(pc.is_in(synthetic["claims"]["POLICY_NUMBER"],
                           value_set=synthetic["customers"]["POLICY_NUMBER"])).as_py()
    for name in KEYS:
        assert reports[name].rows_dropped > 0 and reports[name].calibration == "holdout"
        calibration = calibrate(train[name], holdout[name], options=options,
                                columns=own_columns(model, name), exclude={"POLICY_NUMBER"})
        assert "POLICY_NUMBER" not in calibration.encoder.columns
        found = nearest(calibration.train_points,
                        calibration.encoder.transform(synthetic[name]), 1)
        assert np.all(found.distances[:, 0] >= reports[name].dcr_threshold)
    again, _ = filtered_family_sample(model, train, holdout, {"customers": 1_200},
                                      options=options, keys=KEYS)
    assert all(again[name].equals(synthetic[name]) for name in KEYS)  # same seed, same rows


def test_a_child_row_is_drawn_again_for_the_same_parent(fitted) -> None:
    model, _, _ = fitted
    first_draw: dict[str, pa.Table] = {}

    def reject_every_claim_once(name: str, rows: pa.Table) -> np.ndarray:
        if name == "customers":
            return np.zeros(rows.num_rows, dtype=bool)
        first = name not in first_draw
        first_draw.setdefault(name, rows)
        return np.full(rows.num_rows, first)

    plain = model.sample({"customers": 300})
    redrawn = model.sample({"customers": 300}, reject=reject_every_claim_once, rounds=2)
    assert redrawn["customers"].equals(plain["customers"])
    assert redrawn["claims"]["POLICY_NUMBER"].equals(plain["claims"]["POLICY_NUMBER"])
    assert not redrawn["claims"].drop_columns(["POLICY_NUMBER"]).equals(
        plain["claims"].drop_columns(["POLICY_NUMBER"]))


def test_rows_still_too_close_are_dropped_without_orphans_or_refused(fitted) -> None:
    model, train, holdout = fitted

    def reject_old_customers(name: str, rows: pa.Table) -> np.ndarray:
        return (rows["AGE"].to_numpy(zero_copy_only=False) >= 50 if name == "customers"
                else np.zeros(rows.num_rows, dtype=bool))

    synthetic = model.sample({"customers": 500}, reject=reject_old_customers, rounds=1)
    assert 0 < synthetic["customers"].num_rows < 500
    assert pc.max(synthetic["customers"]["AGE"]).as_py() < 50
    assert keys_of(synthetic["claims"]) <= keys_of(synthetic["customers"])
    with pytest.raises(SimilarityFilterError, match=r"^the similarity filter could not replace "
                       r"every row too close to a real row \(customers: \d+ of 1200 rows still "
                       r"too close to a real row after 1 draws; claims: "):
        filtered_family_sample(model, train, holdout, {"customers": 1_200},
                               options=FilterOptions(dcr_quantile=1.0, max_rounds=1), keys=KEYS)
