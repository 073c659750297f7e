"""Data to try lookalike on: the lab's insurance tables, and a generated shop schema whose
structure and cross-table dependencies are known, for tests and benchmarks."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pyarrow as pa

from lookalike.io.files import read_table

INSURANCE_TABLES = ("claim_data", "customer_data", "claim_data_new")


def insurance(name: str) -> pa.Table:
    """One of the lab's insurance tables (shipped with lookalike); dates typed as dates."""
    if name not in INSURANCE_TABLES:
        raise ValueError(f"no insurance table {name!r}; choose one of {INSURANCE_TABLES}")
    with resources.as_file(resources.files("lookalike") / "data" / "insurance" / f"{name}.csv"
                           ) as path:
        return read_table(path)


def shop(customers: int = 2_000, seed: int = 0) -> dict[str, pa.Table]:
    """Four related tables: customers → orders → line_items, customers → payments.

    Planted dependencies, across tables:
      - orders per customer: Poisson(1 + 3 · is_business); payments per customer: 1 + Poisson(age/20)
      - order amount ≈ 0.5 % of the customer's income, times lognormal noise
      - line items per order: 1 + Poisson(amount / 150); item price ≈ amount / items · noise
      - payment amount ≈ 1 % of income
    """
    rng = np.random.default_rng(seed)
    business = rng.random(customers) < 0.3
    age = rng.integers(18, 80, customers)
    income = np.round(rng.lognormal(10.5, 0.4, customers) * np.where(business, 2.0, 1.0), -2)
    customer_id = np.arange(100_001, 100_001 + customers)
    customer_table = pa.table({
        "customer_id": customer_id,
        "segment": np.where(business, "business", "retail"),
        "age": age,
        "income": income,
        "region": rng.choice(["north", "south", "east", "west"], customers, p=[.4, .3, .2, .1]),
    })
    n_orders = rng.poisson(1 + 3 * business)
    order_customer = np.repeat(customer_id, n_orders)
    order_income = np.repeat(income, n_orders)
    orders = len(order_customer)
    amount = np.round(order_income * 0.005 * rng.lognormal(0, 0.3, orders), 2)
    order_id = np.arange(5_000_001, 5_000_001 + orders)
    order_table = pa.table({
        "order_id": order_id,
        "customer_id": order_customer,
        "amount": amount,
        "channel": rng.choice(["web", "store", "phone"], orders, p=[.6, .3, .1]),
    })
    n_items = 1 + rng.poisson(amount / 150)
    item_order = np.repeat(order_id, n_items)
    item_price = np.round(np.repeat(amount / n_items, n_items) * rng.lognormal(0, .2, len(item_order)), 2)
    item_table = pa.table({
        "order_id": item_order,
        "line": np.concatenate([np.arange(1, k + 1) for k in n_items]) if orders else np.zeros(0, int),
        "price": item_price,
        "quantity": rng.integers(1, 4, len(item_order)),
    })
    n_payments = 1 + rng.poisson(age / 20)
    payment_customer = np.repeat(customer_id, n_payments)
    payment_table = pa.table({
        "payment_id": np.arange(9_000_001, 9_000_001 + len(payment_customer)),
        "customer_id": payment_customer,
        "amount": np.round(np.repeat(income, n_payments) * 0.01 * rng.lognormal(0, .1, len(payment_customer)), 2),
        "method": rng.choice(["card", "transfer"], len(payment_customer), p=[.7, .3]),
    })
    return {"customers": customer_table, "orders": order_table, "line_items": item_table,
            "payments": payment_table}
