"""GENERATE_SYNTHETIC_DATA end to end on DuckDB: read, fit, sample, write, metrics.

  python benchmarks/generate_duckdb.py [--rows 1000000] [--seed 7]

The table is run.py's generated 20-column mixed table, loaded into a DuckDB file; the call runs
in this process, and peak memory is this process's peak RSS (the input table freed first).
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import mixed_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    import duckdb

    from lookalike import generate_synthetic_data

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        table = mixed_table(args.rows, args.seed)
        with duckdb.connect(str(path)) as con:
            con.execute("CREATE SCHEMA DATA")
            con.register("mixed", table)
            con.execute("CREATE TABLE DATA.MIXED AS SELECT * FROM mixed")
        del table
        gc.collect()
        config = {"datasets": [{"input_table": "BENCH.DATA.MIXED",
                                "output_table": "BENCH.DATA.MIXED_SYNTHETIC"}],
                  "replace_output_tables": True, "seed": args.seed}
        start, cpu = time.perf_counter(), time.process_time()
        metrics = generate_synthetic_data(config, f"duckdb:///{path}")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        with duckdb.connect(str(path), read_only=True) as con:
            rows = con.execute("SELECT count(*) FROM DATA.MIXED_SYNTHETIC").fetchone()[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.rows:,} rows x 20 columns on DuckDB: {seconds:.1f} s wall ({cpu:.1f} s CPU), "
          f"peak {peak:.0f} MB, {rows:,} rows written, {len(metrics)} metric rows")


if __name__ == "__main__":
    main()
