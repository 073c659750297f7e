"""The relationship report on constructed parent/child tables with known answers, and on the
insurance tables: children per parent, the joined tables, the page and the JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lookalike.errors import InvalidDataError, UnknownColumnError
from lookalike.report import evaluate_relationship, relationship_summary, report_relationship

from .test_render import external_references


def parents(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(1, n + 1), "premium": rng.normal(1_000, 200, n),
                         "region": rng.choice(["north", "south", "east"], n)})


def children_of(parent: pd.DataFrame, per_parent: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """`per_parent[i]` child rows for parent row i; amount follows the parent's premium."""
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(len(parent)), per_parent)
    premium = parent["premium"].to_numpy()[rows]
    return pd.DataFrame({"id": parent["id"].to_numpy()[rows],
                         "amount": 3 * premium + rng.normal(0, 20, len(rows)),
                         "kind": rng.choice(["theft", "collision"], len(rows))})


def test_identical_tables_have_children_per_parent_ks_and_tv_zero():
    parent = parents(300)
    child = children_of(parent, np.arange(300) % 4)
    metrics = evaluate_relationship(parent, child, parent, child, parent_key="id")
    counts = metrics.children_per_parent
    assert (counts.ks, counts.total_variation) == (0.0, 0.0)
    assert counts.real == counts.synthetic
    assert counts.real.histogram == (75, 75, 75, 75)
    assert metrics.joined.overall == pytest.approx(1.0)


def test_one_child_each_against_none_or_two_alternating_has_the_known_distances():
    parent = parents(200)
    real = children_of(parent, np.tile([0, 2], 100))
    synthetic = children_of(parent, np.ones(200, dtype=int))
    counts = evaluate_relationship(parent, real, parent, synthetic,
                                   parent_key="id").children_per_parent
    # shares of 0, 1, 2 children: real (0.5, 0, 0.5), synthetic (0, 1, 0)
    assert counts.total_variation == pytest.approx(1.0)
    assert counts.ks == pytest.approx(0.5)
    assert (counts.real.mean, counts.synthetic.mean) == (1.0, 1.0)
    assert (counts.real.no_child_share, counts.synthetic.no_child_share) == (0.5, 0.0)
    assert (counts.real.most, counts.synthetic.most) == (2, 1)


def test_a_kept_dependence_across_the_join_scores_high_and_a_shuffled_one_low():
    parent, per_parent = parents(500), np.arange(500) % 3 + 1
    child = children_of(parent, per_parent)
    redrawn = children_of(parent, per_parent, seed=2)  # amount = f(premium) kept, new noise
    shuffled = child.assign(amount=np.random.default_rng(1).permutation(child["amount"]))
    kept = evaluate_relationship(parent, child, parent, redrawn, parent_key="id")
    lost = evaluate_relationship(parent, child, parent, shuffled, parent_key="id")
    pair = {(p.column_1, p.column_2): p for p in lost.cross_table_pairs()}[("premium", "amount")]
    assert pair.real_association > 0.99 and abs(pair.synthetic_association) < 0.1
    assert pair.score < 0.55
    assert kept.cross_table_pair_trends > 0.99
    assert lost.cross_table_pair_trends < 0.6
    assert kept.children_per_parent.ks == 0.0  # the shuffle moved values, not children


def test_held_out_families_give_the_joined_scores_their_reference():
    real, holdout = parents(400, seed=0), parents(400, seed=5)
    per_parent = np.arange(400) % 3 + 1
    synthetic = parents(400, seed=9)
    metrics = evaluate_relationship(
        real, children_of(real, per_parent), synthetic, children_of(synthetic, per_parent, 3),
        parent_key="id", holdout_parent=holdout,
        holdout_child=children_of(holdout, per_parent, seed=4))
    assert metrics.joined.holdout_overall is not None
    # synthetic families drawn like fresh ones score about as well as the held-out ones
    assert metrics.joined.overall == pytest.approx(metrics.joined.holdout_overall, abs=0.03)
    assert metrics.joined.privacy is not None
    with pytest.raises(InvalidDataError, match="give both holdout tables"):
        evaluate_relationship(real, children_of(real, per_parent), real,
                              children_of(real, per_parent), parent_key="id",
                              holdout_parent=holdout)


def test_cross_table_pairs_are_those_of_one_parent_and_one_child_column():
    parent = parents(100)
    child = children_of(parent, np.ones(100, dtype=int))
    metrics = evaluate_relationship(parent, child, parent, child, parent_key="id")
    assert metrics.parent_columns == ["premium", "region"]
    assert metrics.child_columns == ["amount", "kind"]
    assert {(p.column_1, p.column_2) for p in metrics.cross_table_pairs()} == {
        ("premium", "amount"), ("premium", "kind"), ("region", "amount"), ("region", "kind")}


def test_orphans_and_null_keys_are_counted_apart_and_not_joined():
    parent = parents(10)
    child = children_of(parent, np.ones(10, dtype=int))
    child["id"] = pd.array([1, 2, 3, 4, 5, 6, 7, 99, None, None], dtype="Int64")
    metrics = evaluate_relationship(parent, child, parent, child, parent_key="id")
    real = metrics.children_per_parent.real
    assert (real.child_rows, real.orphans, real.null_keys, real.linked) == (10, 1, 2, 7)
    assert real.histogram == (3, 7)
    assert metrics.joined.rows_real == 7


def test_keys_are_left_out_and_shared_names_get_their_tables_name():
    parent = parents(50).assign(status=lambda t: np.where(t["premium"] > 1_000, "a", "b"))
    child = children_of(parent, np.ones(50, dtype=int)).assign(status="open")
    metrics = evaluate_relationship(parent, child, parent, child, parent_key="ID",
                                    parent_name="customers", child_name="claims")
    names = [c.name for c in metrics.joined.columns]
    assert names == ["premium", "region", "customers.status", "amount", "kind", "claims.status"]
    assert (metrics.parent_key, metrics.child_key) == ("id", "id")


def test_a_missing_join_key_names_the_table_and_the_column():
    parent = parents(10)
    child = children_of(parent, np.ones(10, dtype=int)).rename(columns={"id": "parent_id"})
    with pytest.raises(UnknownColumnError) as raised:
        evaluate_relationship(parent, child, parent, child, parent_key="id",
                              child_name="claims")
    assert str(raised.value) == ("no join key column 'id' in the real child table claims "
                                 "(columns: parent_id, amount, kind)")
    metrics = evaluate_relationship(parent, child, parent, child, parent_key="id",
                                    child_key="parent_id")
    assert metrics.child_key == "parent_id"


def test_a_parent_holding_a_key_twice_is_refused():
    parent = parents(10)
    child = children_of(parent, np.full(10, 2))
    with pytest.raises(InvalidDataError, match="^the real parent table customers holds some id "
                       "values more than once"):
        evaluate_relationship(child, parent, child, parent, parent_key="id",
                              parent_name="customers")


def test_the_insurance_relationship_report(insurance_relationship):
    metrics, path = insurance_relationship
    html = path.read_text(encoding="utf-8")
    assert external_references(html) == []
    assert '<section id="relationship">' in html and 'id="children-table"' in html
    assert "Relationship: customers.POLICY_NUMBER &rarr; claims.POLICY_NUMBER" in html
    assert 'alt="children per parent, real and synthetic"' in html
    assert "POLICY_NUMBER</td>" not in html  # the key is no compared column
    counts = metrics.children_per_parent
    assert counts.real.parents == 1_200 and counts.real.linked == 1_000
    assert counts.ks < 0.05 and counts.total_variation < 0.05
    assert metrics.joined.overall > 0.85
    assert len(metrics.cross_table_pairs()) == 8 * 11


def test_the_relationship_summary_and_json(insurance_relationship):
    metrics, _ = insurance_relationship
    text = relationship_summary(metrics)
    assert text.startswith("Relationship customers.POLICY_NUMBER -> claims.POLICY_NUMBER\n"
                           "  children per parent    KS ")
    assert "Quality of synthetic data (1,000 real rows" in text
    data = json.loads(json.dumps(metrics.to_dict(), allow_nan=False))
    assert data["children_per_parent"]["real"]["histogram"] == [200, 1_000]
    assert data["summary"]["children_per_parent_ks"] == pytest.approx(
        metrics.children_per_parent.ks)
    assert data["joined"]["summary"]["overall"] == pytest.approx(metrics.joined.overall)


def test_report_relationship_writes_where_asked(tmp_path):
    parent = parents(60)
    child = children_of(parent, np.arange(60) % 2)
    _, path = report_relationship(parent, child, parent, child, tmp_path / "a" / "r.html",
                                  parent_key="id")
    assert path == tmp_path / "a" / "r.html" and path.is_file()
    assert "<title>Relationship report: parent → child</title>" in path.read_text()
