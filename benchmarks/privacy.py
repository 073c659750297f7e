#!/usr/bin/env python3
"""Speed and memory of the similarity filter's nearest-neighbour search.

Builds two independent draws (real and synthetic) of one 20-column mixed table (10 numeric, 10
categorical with 2 to 30 categories; 132 distance coordinates), encodes them with the privacy
distance, and times the filter's search: the 2 nearest real rows of every synthetic row. Recall
(the share of sampled synthetic rows whose nearest distance equals the exact one) is measured on
`--recall-rows` rows by brute force.

    /work/venv/bin/python benchmarks/privacy.py --rows 1000000

Prints wall seconds, CPU seconds and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pyarrow as pa

from lookalike.privacy import FilterOptions
from lookalike.privacy.distance import fit_encoder
from lookalike.privacy.neighbours import nearest

CATEGORIES = (2, 3, 5, 8, 12, 20, 4, 6, 30, 2)


def mixed_table(n_rows: int, seed: int) -> pa.Table:
    """10 numeric columns (skewed amounts, integers, floats) and 10 categorical ones, all driven
    by three shared latent factors, so columns depend on each other."""
    rng = np.random.default_rng(seed)
    shape = np.random.default_rng(0)  # the same dependencies in every draw
    latent = rng.standard_normal((n_rows, 3))
    columns: dict[str, pa.Array] = {}
    for j in range(10):
        x = latent @ shape.standard_normal(3) + 0.5 * rng.standard_normal(n_rows)
        columns[f"num{j}"] = pa.array([np.round(np.exp(x) * 100, 2), np.round(x * 10 + 40),
                                       x][j % 3])
    for j, k in enumerate(CATEGORIES):
        score = latent @ shape.standard_normal(3) + rng.standard_normal(n_rows)
        codes = np.searchsorted(np.quantile(score, np.linspace(0, 1, k + 1)[1:-1]), score)
        columns[f"cat{j}"] = pa.array(np.char.add("c", codes.astype(str)))
    return pa.table(columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--method", default="auto", choices=("auto", "exact", "ivf"))
    parser.add_argument("--recall-rows", type=int, default=2_000)
    parser.add_argument("--nprobe", type=int, default=24,
                        help="clusters the IVF search scans per query (the filter uses 24)")
    args = parser.parse_args()
    real, synthetic = mixed_table(args.rows, 1), mixed_table(args.rows, 2)
    wall, cpu = time.perf_counter(), time.process_time()
    encoder = fit_encoder(real)
    real_x, synthetic_x = encoder.transform(real), encoder.transform(synthetic)
    encoded = time.perf_counter() - wall
    found = nearest(real_x, synthetic_x, 2, method=args.method, nprobe=args.nprobe)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    probe = np.random.default_rng(0).choice(args.rows, min(args.recall_rows, args.rows),
                                            replace=False)
    exact = nearest(real_x, synthetic_x[probe], 2, method="exact")
    recall = np.mean(np.isclose(found.distances[probe, 0], exact.distances[:, 0], atol=1e-6))
    quantile = FilterOptions().dcr_quantile  # the filter's default
    threshold = float(np.quantile(exact.distances[:, 0], quantile))
    flagged_exact = _flags(exact.distances, threshold)
    flagged_found = _flags(found.distances[probe], threshold)
    print(f"rows: {args.rows:,} synthetic x {args.rows:,} real, {real.num_columns} columns, "
          f"{real_x.shape[1]} coordinates, method {args.method}, {os.cpu_count()} cores")
    print(f"encode: {encoded:.1f} s; encode + search: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(f"peak memory: {peak_mb:,.0f} MB (max RSS, including both tables)")
    print(f"recall of the nearest distance on {len(probe):,} rows: {recall:.4f}")
    print(f"filter decisions (distance below {threshold:.3f}, the {quantile:.0%} quantile, "
          f"or NNDR below 0.5): "
          f"{flagged_exact.sum()} rows too close, {(flagged_exact & ~flagged_found).sum()} of them "
          f"missed, {(flagged_exact != flagged_found).mean():.4f} of decisions differ")


def _flags(distances: np.ndarray, threshold: float) -> np.ndarray:
    """The filter's rule with one threshold for both searches: too close by distance or by the
    ratio (below 0.5)."""
    ratio = distances[:, 0] / np.maximum(distances[:, 1], 1e-12)
    return (distances[:, 0] < threshold) | (ratio < 0.5)


if __name__ == "__main__":
    main()
