"""Related tables generated together: integrity, children per parent, cross-table dependencies."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy.stats import ks_2samp

from lookalike.datasets import insurance, shop
from lookalike.multitable import KeyColumn, MultiTableSynthesizer, infer_relationships

SHOP_KEYS = [KeyColumn("customers", "customer_id"), KeyColumn("orders", "customer_id"),
             KeyColumn("orders", "order_id"), KeyColumn("line_items", "order_id"),
             KeyColumn("payments", "customer_id"), KeyColumn("payments", "payment_id")]


def _fit_sample(tables, keys, seed=3, **options):
    by_table = {}
    for key in keys:
        by_table.setdefault(key.table, []).append(key.column)
    model = MultiTableSynthesizer(relationships=infer_relationships(tables, keys),
                                  random_state=seed, **options).fit(tables, keys=by_table)
    return model.sample()


@pytest.fixture(scope="module")
def shop_pair():
    real = shop(3_000, seed=1)
    return real, _fit_sample(real, SHOP_KEYS)


@pytest.fixture(scope="module")
def insurance_pair():
    real = {"claims": insurance("claim_data"), "customers": insurance("customer_data")}
    keys = [KeyColumn("claims", "POLICY_NUMBER"), KeyColumn("customers", "POLICY_NUMBER")]
    return real, _fit_sample(real, keys, seed=1)


def _frames(tables):
    return {name: table.to_pandas() for name, table in tables.items()}


def test_outputs_keep_every_table_schema(shop_pair):
    real, synthetic = shop_pair
    assert {name: t.schema for name, t in synthetic.items()} == {n: t.schema for n, t in real.items()}


def test_referential_integrity_is_exact(shop_pair):
    s = _frames(shop_pair[1])
    assert s["orders"].customer_id.isin(s["customers"].customer_id).all()
    assert s["payments"].customer_id.isin(s["customers"].customer_id).all()
    assert s["line_items"].order_id.isin(s["orders"].order_id).all()


def test_parent_keys_stay_unique_and_are_never_real(shop_pair):
    real, synthetic = _frames(shop_pair[0]), _frames(shop_pair[1])
    for table, key in (("customers", "customer_id"), ("orders", "order_id"),
                       ("payments", "payment_id")):
        assert synthetic[table][key].is_unique
        assert not set(synthetic[table][key]) & set(real[table][key])


def _children_per_parent(parents, children, key):
    return parents[key].map(children[key].value_counts()).fillna(0).to_numpy()


@pytest.mark.parametrize(("parent", "child", "key"), [
    ("customers", "orders", "customer_id"), ("customers", "payments", "customer_id"),
    ("orders", "line_items", "order_id")])
def test_children_per_parent_follow_the_real_distribution(shop_pair, parent, child, key):
    real, synthetic = _frames(shop_pair[0]), _frames(shop_pair[1])
    distance = ks_2samp(_children_per_parent(real[parent], real[child], key),
                        _children_per_parent(synthetic[parent], synthetic[child], key)).statistic
    assert distance <= 0.05


def _planted(frames):
    c, o, items, p = (frames[k] for k in ("customers", "orders", "line_items", "payments"))
    orders = o.merge(c, on="customer_id", suffixes=("", "_customer"))
    lines = items.merge(o, on="order_id", suffixes=("", "_order"))
    pays = p.merge(c, on="customer_id", suffixes=("", "_customer"))
    return {
        "income ~ order amount": orders.income.corr(orders.amount),
        "order amount ~ item price": lines.amount.corr(lines.price),
        "income ~ payment amount": pays.income.corr(pays.amount),
        "age ~ payments per customer": np.corrcoef(
            c.age, _children_per_parent(c, p, "customer_id"))[0, 1],
        "business ~ orders per customer": np.corrcoef(
            c.segment == "business", _children_per_parent(c, o, "customer_id"))[0, 1],
    }


def test_planted_cross_table_correlations_are_kept(shop_pair):
    real, synthetic = _planted(_frames(shop_pair[0])), _planted(_frames(shop_pair[1]))
    for name, value in real.items():
        assert abs(synthetic[name] - value) <= 0.05, (name, value, synthetic[name])


def test_the_insurance_join_keeps_its_size_and_relationships(insurance_pair):
    real, synthetic = _frames(insurance_pair[0]), _frames(insurance_pair[1])
    real_join = real["claims"].merge(real["customers"], on="POLICY_NUMBER")
    synthetic_join = synthetic["claims"].merge(synthetic["customers"], on="POLICY_NUMBER")
    assert abs(len(synthetic_join) - len(real_join)) <= 0.05 * len(real_join)
    assert synthetic["claims"].POLICY_NUMBER.is_unique  # one claim per customer, as in the data
    # customers without a claim: 200 of 1,200 in the real data
    without = 1 - synthetic["customers"].POLICY_NUMBER.isin(synthetic["claims"].POLICY_NUMBER).mean()
    assert without == pytest.approx(200 / 1200, abs=0.03)


def test_the_joined_insurance_tables_score_like_real_data(insurance_pair):
    from sdmetrics.reports import QualityReport

    real, synthetic = _frames(insurance_pair[0]), _frames(insurance_pair[1])
    joined = [f["claims"].merge(f["customers"], on="POLICY_NUMBER").drop(columns="POLICY_NUMBER")
              for f in (real, synthetic)]
    for frame in joined:
        for column in ("INCIDENT_DATE", "POLICY_START_DATE"):
            frame[column] = pd.to_datetime(frame[column])
    columns = {name: {"sdtype": "numerical" if pd.api.types.is_numeric_dtype(dtype)
                      and not pd.api.types.is_bool_dtype(dtype) else
                      "datetime" if pd.api.types.is_datetime64_any_dtype(dtype) else "categorical"}
               for name, dtype in joined[0].dtypes.items()}
    report = QualityReport()
    report.generate({"joined": joined[0]}, {"joined": joined[1]},
                    {"tables": {"joined": {"columns": columns}}}, verbose=False)
    assert report.get_score() >= 0.90


def test_orphans_and_null_keys_keep_their_shares():
    rng = np.random.default_rng(0)
    parents = pa.table({"k": np.arange(1, 401), "x": rng.normal(size=400)})
    keys = rng.integers(1, 401, 1_200).astype(float)
    keys[:120] = 10_000 + np.arange(120)  # 10 % orphans
    keys[120:180] = np.nan  # 5 % NULL keys
    children = pa.table({"k": pa.array(keys, mask=np.isnan(keys)).cast(pa.int64()),
                         "y": rng.normal(size=1_200)})
    out = _fit_sample({"p": parents, "c": children}, [KeyColumn("p", "k"), KeyColumn("c", "k")])
    child_keys = out["c"].column("k").to_pandas()
    in_parent = child_keys.isin(out["p"].column("k").to_pylist())
    assert child_keys.isna().mean() == pytest.approx(0.05, abs=0.02)
    assert (~in_parent & child_keys.notna()).mean() == pytest.approx(0.10, abs=0.03)


def test_a_secondary_parent_gets_valid_keys():
    rng = np.random.default_rng(1)
    orders = pa.table({"oid": np.arange(1, 301), "total": rng.gamma(2, 50, 300).round(2)})
    products = pa.table({"pid": np.arange(1, 41), "price": rng.gamma(2, 10, 40).round(2)})
    items = pa.table({"oid": rng.integers(1, 301, 900), "pid": rng.integers(1, 41, 900),
                      "qty": rng.integers(1, 5, 900)})
    keys = [KeyColumn("orders", "oid"), KeyColumn("products", "pid"),
            KeyColumn("items", "oid"), KeyColumn("items", "pid")]
    out = _fit_sample({"orders": orders, "products": products, "items": items}, keys)
    items_out = out["items"].to_pandas()
    assert items_out.oid.isin(out["orders"].column("oid").to_pylist()).all()
    assert items_out.pid.isin(out["products"].column("pid").to_pylist()).all()


def test_the_same_seed_gives_the_same_tables(shop_pair):
    real, synthetic = shop_pair
    again = _fit_sample(real, SHOP_KEYS)
    assert all(again[name].equals(synthetic[name]) for name in synthetic)
