"""Multi-table benchmark: the GENERATE_SYNTHETIC_DATA call with a join key, end to end on DuckDB.

  python benchmarks/multitable.py --parents 1000000 --children-per-parent 5
  python benchmarks/multitable.py --sdv          # also SDV's HMASynthesizer on the insurance pair

Each measurement runs in a fresh process; peak memory is that process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def build_shop(path: Path, parents: int, per_parent: float, seed: int) -> dict[str, int]:
    """customers (parents) and orders (children, Poisson counts) in a DuckDB file."""
    import duckdb
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    business = rng.random(parents) < 0.3
    income = np.round(rng.lognormal(10.5, 0.4, parents) * np.where(business, 2.0, 1.0), -2)
    customers = pa.table({
        "customer_id": np.arange(10_000_001, 10_000_001 + parents),
        "segment": np.where(business, "business", "retail"),
        "age": rng.integers(18, 80, parents),
        "income": income,
        "region": rng.choice(["north", "south", "east", "west"], parents),
        "since": (np.datetime64("2010-01-01") + rng.integers(0, 5000, parents)).astype("datetime64[D]"),
    })
    counts = rng.poisson(per_parent * np.where(business, 1.6, 0.75))
    owner = np.repeat(np.arange(parents), counts)
    orders = pa.table({
        "order_id": np.arange(500_000_001, 500_000_001 + len(owner)),
        "customer_id": customers.column("customer_id").to_numpy()[owner],
        "amount": np.round(income[owner] * 0.005 * rng.lognormal(0, 0.3, len(owner)), 2),
        "channel": rng.choice(["web", "store", "phone"], len(owner)),
        "returned": rng.random(len(owner)) < 0.05,
    })
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA DATA")
        con.register("c", customers)
        con.register("o", orders)
        con.execute("CREATE TABLE DATA.CUSTOMERS AS SELECT * FROM c")
        con.execute("CREATE TABLE DATA.ORDERS AS SELECT * FROM o")
    return {"customers": customers.num_rows, "orders": orders.num_rows}


def run_lookalike(path: Path) -> dict:
    from lookalike import generate_synthetic_data

    name = path.stem.upper()
    key = {"customer_id": {"join_key": True}, "order_id": {"join_key": True}}
    config = {"datasets": [
        {"input_table": f"{name}.DATA.CUSTOMERS", "output_table": f"{name}.DATA.CUSTOMERS_SYN",
         "columns": {"customer_id": {"join_key": True}}},
        {"input_table": f"{name}.DATA.ORDERS", "output_table": f"{name}.DATA.ORDERS_SYN",
         "columns": key}], "replace_output_tables": True, "seed": 1}
    start = time.perf_counter()
    generate_synthetic_data(config, f"duckdb:///{path}")
    seconds = time.perf_counter() - start
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        rows = {t: con.execute(f"SELECT count(*) FROM DATA.{t}").fetchone()[0]
                for t in ("CUSTOMERS_SYN", "ORDERS_SYN")}
        integrity = con.execute("SELECT avg((customer_id IN (SELECT customer_id FROM "
                                "DATA.CUSTOMERS_SYN))::INT) FROM DATA.ORDERS_SYN").fetchone()[0]
    return {"seconds": seconds, "rows": rows, "integrity": integrity}


def run_insurance(engine: str) -> dict:
    """Fit and sample the insurance pair with lookalike's or SDV's multi-table synthesizer."""
    from lookalike.datasets import insurance

    claims, customers = insurance("claim_data"), insurance("customer_data")
    start = time.perf_counter()
    if engine == "lookalike":
        from lookalike.multitable import KeyColumn, MultiTableSynthesizer, infer_relationships

        tables = {"claims": claims, "customers": customers}
        keys = [KeyColumn("claims", "POLICY_NUMBER"), KeyColumn("customers", "POLICY_NUMBER")]
        out = MultiTableSynthesizer(relationships=infer_relationships(tables, keys),
                                    random_state=1).fit(tables).sample()
        out = {k: v.to_pandas() for k, v in out.items()}
    else:
        from sdv.metadata import Metadata
        from sdv.multi_table import HMASynthesizer

        data = {"claims": claims.to_pandas(), "customers": customers.to_pandas()}
        described = Metadata.detect_from_dataframes(data).to_dict()
        for table in described["tables"].values():
            table["columns"]["POLICY_NUMBER"] = {"sdtype": "id"}
            table.pop("primary_key", None)
        described["tables"]["customers"]["primary_key"] = "POLICY_NUMBER"
        described["relationships"] = [{
            "parent_table_name": "customers", "child_table_name": "claims",
            "parent_primary_key": "POLICY_NUMBER", "child_foreign_key": "POLICY_NUMBER"}]
        metadata = Metadata.load_from_dict(described)
        model = HMASynthesizer(metadata)
        model.fit(data)
        out = model.sample(num_rows=len(data["customers"]), main_table_name="customers")
    seconds = time.perf_counter() - start
    joined = out["claims"].merge(out["customers"], on="POLICY_NUMBER")
    return {"seconds": seconds, "join_rows": len(joined), "claims": len(out["claims"]),
            "customers": len(out["customers"])}


def worker(task: dict) -> None:
    if task["kind"] == "duckdb":
        result = run_lookalike(Path(task["path"]))
    else:
        result = run_insurance(task["engine"])
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def in_fresh_process(task: dict, python: str) -> dict:
    done = subprocess.run([python, __file__, "--worker", json.dumps(task)], capture_output=True,
                          text=True, check=False)
    if done.returncode:
        return {"error": done.stderr[-1500:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parents", type=int, default=1_000_000)
    parser.add_argument("--children-per-parent", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sdv", action="store_true", help="compare with SDV HMASynthesizer")
    parser.add_argument("--sdv-python", default=sys.executable,
                        help="python with sdv installed (a benchmark-only dependency)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return
    print(f"# multi-table benchmark ({os.cpu_count()} cores)")
    for engine in ["lookalike"] + (["sdv"] if args.sdv else []):
        python = args.sdv_python if engine == "sdv" else sys.executable
        print(f"insurance pair, {engine}:", in_fresh_process({"kind": "insurance",
                                                               "engine": engine}, python))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shop.duckdb"
        start = time.perf_counter()
        sizes = build_shop(path, args.parents, args.children_per_parent, args.seed)
        print(f"built {sizes} in {time.perf_counter() - start:.1f} s")
        print("duckdb end to end, lookalike:", in_fresh_process({"kind": "duckdb",
                                                                  "path": str(path)}, sys.executable))


if __name__ == "__main__":
    main()
