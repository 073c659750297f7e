"""The insurance tables split 50/50 into a training half and a holdout, and lookalike's
synthetic version of each training half: what the report measures in practice."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from lookalike import Synthesizer
from lookalike.io.files import read_table


def split(table: pa.Table, seed: int = 0) -> tuple[pa.Table, pa.Table]:
    order = np.random.default_rng(seed).permutation(table.num_rows)
    half = table.num_rows // 2
    return table.take(np.sort(order[:half])), table.take(np.sort(order[half:]))


def _case(path) -> dict[str, pa.Table]:
    train, holdout = split(read_table(path))
    synthetic = Synthesizer(random_state=1).fit(train).sample(train.num_rows)
    return {"train": train, "holdout": holdout, "synthetic": synthetic}


@pytest.fixture(scope="session")
def claims_case(claims_path) -> dict[str, pa.Table]:
    return _case(claims_path)


@pytest.fixture(scope="session")
def customers_case(customers_path) -> dict[str, pa.Table]:
    return _case(customers_path)


@pytest.fixture(scope="session")
def claims_report(claims_case, tmp_path_factory):
    """The claims report, with every section: (metrics, path)."""
    from lookalike.report import report

    path = tmp_path_factory.mktemp("report") / "claims-report.html"
    return report(claims_case["train"], claims_case["synthetic"], path,
                  holdout=claims_case["holdout"], target="FRAUD_REPORTED",
                  columns=[n for n in claims_case["train"].column_names if n != "POLICY_NUMBER"])


@pytest.fixture(scope="session")
def insurance_pair(claims_path, customers_path) -> dict[str, pa.Table]:
    """The insurance customers (parent) and claims (child), and lookalike's synthetic pair
    (MultiTableSynthesizer, joined on POLICY_NUMBER)."""
    from lookalike.multitable import KeyColumn, MultiTableSynthesizer, infer_relationships

    tables = {"claims": read_table(claims_path), "customers": read_table(customers_path)}
    keys = [KeyColumn(name, "POLICY_NUMBER") for name in tables]
    model = MultiTableSynthesizer(relationships=infer_relationships(tables, keys),
                                  random_state=1).fit(tables)
    synthetic = model.sample()
    return {**tables, "synthetic_claims": synthetic["claims"],
            "synthetic_customers": synthetic["customers"]}


@pytest.fixture(scope="session")
def insurance_relationship(insurance_pair, tmp_path_factory):
    """The customers -> claims relationship report of `insurance_pair`: (metrics, path)."""
    from lookalike.report import report_relationship

    tables = insurance_pair
    path = tmp_path_factory.mktemp("relationship") / "customers--claims.html"
    return report_relationship(tables["customers"], tables["claims"],
                               tables["synthetic_customers"], tables["synthetic_claims"], path,
                               parent_key="POLICY_NUMBER", parent_name="customers",
                               child_name="claims")
