"""Fidelity of the joined insurance tables (claims ⋈ customers on POLICY_NUMBER).

  python benchmarks/insurance_join.py [--seeds 3]

1. Fit on all rows: SDMetrics quality of the joined synthetic table against the joined real one,
   and the join's row count.
2. Split customers 50/50 (their claims go with them), fit on one half: quality of the joined
   synthetic table against the joined training half, with the joined holdout half as the
   reference ("as good as fresh real data"), mean over seeds.
Needs sdmetrics (the bench or test extra).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa

from lookalike.datasets import insurance
from lookalike.multitable import KeyColumn, MultiTableSynthesizer, infer_relationships

KEY = "POLICY_NUMBER"


def joined(claims: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    frame = claims.merge(customers, on=KEY).drop(columns=KEY)
    for column in ("INCIDENT_DATE", "POLICY_START_DATE"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def quality(real: pd.DataFrame, other: pd.DataFrame) -> float:
    from sdmetrics.reports import QualityReport

    def sdtype(dtype) -> str:
        if pd.api.types.is_bool_dtype(dtype) or dtype == object:
            return "categorical"
        return "datetime" if pd.api.types.is_datetime64_any_dtype(dtype) else "numerical"

    metadata = {"tables": {"t": {"columns": {n: {"sdtype": sdtype(d)} for n, d in real.dtypes.items()}}}}
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate({"t": real}, {"t": other}, metadata, verbose=False)
    return float(report.get_score())


def synthesise(claims: pa.Table, customers: pa.Table, seed: int) -> dict[str, pd.DataFrame]:
    tables = {"claims": claims, "customers": customers}
    keys = [KeyColumn("claims", KEY), KeyColumn("customers", KEY)]
    model = MultiTableSynthesizer(relationships=infer_relationships(tables, keys), random_state=seed)
    return {k: v.to_pandas() for k, v in model.fit(tables).sample().items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    claims, customers = insurance("claim_data"), insurance("customer_data")
    real = joined(claims.to_pandas(), customers.to_pandas())
    full = []
    for seed in range(args.seeds):
        out = synthesise(claims, customers, seed)
        synthetic = joined(out["claims"], out["customers"])
        full.append((quality(real, synthetic), len(synthetic)))
    print(f"fit on all rows: joined quality {np.mean([q for q, _ in full]):.3f}, join rows "
          f"{np.mean([n for _, n in full]):.0f} (real {len(real)}), mean over {args.seeds} seeds")
    rows = []
    for seed in range(args.seeds):
        ids = customers.column(KEY).to_numpy()
        train_ids = np.random.default_rng(seed).permutation(ids)[: len(ids) // 2]
        in_train = pa.array(np.isin(ids, train_ids))
        claim_train = pa.array(np.isin(claims.column(KEY).to_numpy(), train_ids))
        train = (claims.filter(claim_train), customers.filter(in_train))
        holdout = (claims.filter(pa.compute.invert(claim_train)),
                   customers.filter(pa.compute.invert(in_train)))
        real_train = joined(train[0].to_pandas(), train[1].to_pandas())
        real_holdout = joined(holdout[0].to_pandas(), holdout[1].to_pandas())
        out = synthesise(*train, seed)
        synthetic = joined(out["claims"], out["customers"])
        rows.append({"synthetic": quality(real_train, synthetic),
                     "holdout": quality(real_train, real_holdout),
                     "join_rows": len(synthetic), "real_join_rows": len(real_train)})
    table = pd.DataFrame(rows).mean()
    print(f"50/50 split by customer: joined quality {table.synthetic:.3f} (holdout half "
          f"{table.holdout:.3f}); join rows {table.join_rows:.0f} vs {table.real_join_rows:.0f}")


if __name__ == "__main__":
    main()
