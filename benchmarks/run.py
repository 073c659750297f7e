#!/usr/bin/env python3
"""Speed and memory benchmark: lookalike against SDV's GaussianCopulaSynthesizer.

For every dataset (a generated 20-column mixed-type table at each of --sizes rows, plus the
insurance CSVs shipped with lookalike) and every engine, one fresh worker process builds the
data, then times `fit` and `sample` (as many rows as the input) separately. Peak memory is the
worker's peak resident set size (max RSS, from os.wait4's rusage), so no run's memory leaks into
another's. The orchestrating process imports nothing but the standard library, so it adds nothing
to the workers' peaks.

SDV is licensed BUSL and is a benchmark-only dependency: install it into a separate venv,

    python3 -m venv /work/benchvenv
    /work/benchvenv/bin/pip install -e '/work/main[bench]'
    /work/benchvenv/bin/python benchmarks/run.py

Results are printed as a markdown table and written to --output with the date, the machine and
the exact command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
INSURANCE_DIR = REPO / "src" / "lookalike" / "data" / "insurance"
INSURANCE_FILES = ("claim_data.csv", "customer_data.csv")
ENGINES = ("lookalike", "sdv")
TARGET_ROWS = 1_000_000
TARGET_SECONDS = 120.0
TARGET_MB = 4096.0


# -- the generated table ------------------------------------------------------------------------

def mixed_table(n_rows: int, seed: int):
    """A 20-column mixed-type pyarrow Table, the same for the same (n_rows, seed).

    6 floats (lognormal income, gamma spend, normal temperature, exponential wait, uniform score,
    bimodal session length), 4 integers (age, a Poisson count, hour of day, claim amounts in
    round hundreds), 4 categorical strings (3, 12, 50 and 2,000 values, Zipf-like), 2 booleans,
    2 dates, 1 timestamp (seconds resolution) and 1 float with ~20% nulls. Dependencies: segment
    -> income, product, orders, discount and its nulls; age -> income and activity; orders ->
    spend; claim amount and segment -> fraud; signup -> last purchase -> event timestamp; hour ->
    event timestamp.
    """
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(np.random.SeedSequence([seed, n_rows]))
    vocab_rng = np.random.default_rng(seed)  # vocabularies do not depend on the size

    def strings(codes: np.ndarray, vocabulary: list[str]) -> pa.Array:
        dictionary = pa.array(vocabulary, type=pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), dictionary).cast(
            pa.string()
        )

    def zipf_p(k: int, a: float) -> np.ndarray:
        p = 1.0 / np.arange(1, k + 1) ** a
        return p / p.sum()

    n = n_rows
    columns: dict[str, pa.Array] = {}

    # categorical strings of varied cardinality
    segment = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    columns["segment"] = strings(segment, ["basic", "plus", "premium"])
    region_p = vocab_rng.dirichlet(np.full(12, 2.0))
    columns["region"] = strings(rng.choice(12, n, p=region_p),
                                [f"region_{i:02d}" for i in range(12)])
    # product popularity shifts with the segment
    product = (rng.choice(50, n, p=zipf_p(50, 1.1)) + 7 * segment) % 50
    columns["product"] = strings(product, [f"SKU-{1000 + 37 * i}" for i in range(50)])
    store_names = [f"store_{vocab_rng.integers(10**6):06d}_{i}" for i in range(2_000)]
    columns["store"] = strings(rng.choice(2_000, n, p=zipf_p(2_000, 1.05)), store_names)

    # integers
    age = np.clip(np.round(rng.normal(42, 13, n)), 18, 90).astype(np.int64)
    columns["age"] = pa.array(age)
    active_p = 1 / (1 + np.exp((age - 55) / 8))
    is_active = rng.random(n) < active_p
    n_orders = rng.poisson(1 + 2 * segment + 3 * is_active).astype(np.int64)
    columns["n_orders"] = pa.array(n_orders)
    hour = np.where(rng.random(n) < 0.7, rng.normal(13, 3, n), rng.normal(20, 2, n))
    hour = np.clip(np.round(hour), 0, 23).astype(np.int64)
    columns["hour"] = pa.array(hour)
    claim = np.round(rng.lognormal(8.5 + 0.3 * segment, 0.8, n) / 100) * 100
    columns["claim_amount"] = pa.array(claim.astype(np.int64))

    # floats
    income = np.exp(10 + 0.4 * segment + 0.01 * (age - 40) + rng.normal(0, 0.6, n))
    columns["income"] = pa.array(np.round(income, 2))
    spend = n_orders * rng.gamma(2.0, 20.0 * (1 + segment))
    columns["spend"] = pa.array(np.round(spend, 2))
    columns["temperature"] = pa.array(rng.normal(15, 8, n))
    columns["wait_minutes"] = pa.array(np.round(rng.exponential(12.0, n), 1))
    columns["score"] = pa.array(rng.random(n))
    session = np.where(rng.random(n) < 0.4, rng.normal(3, 1, n), rng.normal(25, 6, n))
    columns["session_minutes"] = pa.array(np.round(np.abs(session), 3))

    # booleans
    columns["is_active"] = pa.array(is_active)
    fraud_logit = -4.5 + 1.2 * (claim > np.quantile(claim, 0.9)) + 0.8 * (segment == 0)
    columns["is_fraud"] = pa.array(rng.random(n) < 1 / (1 + np.exp(-fraud_logit)))

    # dates and a timestamp
    epoch_2010 = 14_610  # days from 1970-01-01 to 2010-01-01
    last_day = 20_088  # 2024-12-31
    signup = epoch_2010 + rng.integers(0, 5_000, n)
    last_purchase = np.minimum(signup + np.round(rng.exponential(200, n)).astype(np.int64),
                               last_day)
    columns["signup_date"] = pa.array(signup.astype(np.int32), type=pa.date32())
    columns["last_purchase_date"] = pa.array(last_purchase.astype(np.int32), type=pa.date32())
    seconds = last_purchase * 86_400 + hour * 3_600 + rng.integers(0, 3_600, n)
    columns["event_time"] = pa.array(seconds * 1_000_000, type=pa.timestamp("us"))

    # a float with nulls mixed in; more of them in the basic segment
    missing = rng.random(n) < np.array([0.3, 0.1, 0.05])[segment]
    discount = np.round(rng.beta(2, 8, n) * (1 + segment) * 0.2, 4)
    columns["discount_rate"] = pa.array(discount, mask=missing)

    order = ["segment", "region", "product", "store", "age", "n_orders", "hour", "claim_amount",
             "income", "spend", "temperature", "wait_minutes", "score", "session_minutes",
             "is_active", "is_fraud", "signup_date", "last_purchase_date", "event_time",
             "discount_rate"]
    return pa.table({name: columns[name] for name in order})


def load_dataset(name: str, rows: int, seed: int):
    """The dataset as a pyarrow Table."""
    if name == "mixed":
        return mixed_table(rows, seed)
    import pyarrow.csv as pv

    return pv.read_csv(INSURANCE_DIR / name)


# -- the worker: one engine on one dataset, in its own process ----------------------------------

def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux >= 4.0), so phases get own peaks."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


def worker(spec: dict, out: Path) -> None:
    """Build the data, fit, sample; append one JSON line per finished phase to `out`."""

    def report(**fields) -> None:
        with out.open("a") as handle:
            handle.write(json.dumps(fields) + "\n")

    engine = spec["engine"]
    table = load_dataset(spec["dataset"], spec["rows"], spec["seed"])
    data = table
    if engine == "sdv" or spec["input"] == "pandas":
        # Dates as datetime64 (not Python date objects) so that SDV detects them as datetimes.
        data = table.to_pandas(date_as_object=False)
    del table
    report(phase="data", rows=len(data), cols=len(data.columns),
           rss_mb=_mb(_status_kb("VmRSS")), hwm_mb=_mb(_status_kb("VmHWM")))
    n = len(data)

    # Imports are timed apart: they are paid once per process, not per fit.
    start = time.perf_counter()
    if engine == "lookalike":
        from lookalike import Synthesizer
    else:
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer
    # Resetting VmHWM also lowers what the kernel reports as ru_maxrss at exit, so the peak so
    # far is recorded before every reset and the orchestrator takes the max over all of them.
    source = sys.modules["lookalike"].__file__ if engine == "lookalike" else None
    report(phase="import", seconds=time.perf_counter() - start,
           hwm_mb=_mb(_status_kb("VmHWM")), source=source)
    peaks = _reset_peak()

    start, cpu = time.perf_counter(), time.process_time()
    extra = {}
    if engine == "lookalike":
        model = Synthesizer(random_state=spec["seed"]).fit(data)
    else:
        # Metadata detection is part of fit, as column detection is part of lookalike's fit.
        if hasattr(Metadata, "detect_from_dataframe"):  # SDV 1.x
            metadata = Metadata.detect_from_dataframe(data, table_name="data")
            fit_input = data
        else:  # SDV 2.x takes {table name: frame}
            metadata = Metadata.detect_from_dataframes({"data": data})
            fit_input = {"data": data}
        model = GaussianCopulaSynthesizer(metadata)
        model.fit(fit_input)
        columns = metadata.to_dict()["tables"]["data"]["columns"]
        extra = {"sdtypes": {name: c["sdtype"] for name, c in columns.items()}}
    fit_s, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    report(phase="fit", seconds=fit_s, cpu_seconds=fit_cpu,
           peak_mb=_mb(_status_kb("VmHWM")) if peaks else None, **extra)
    peaks = _reset_peak()

    start, cpu = time.perf_counter(), time.process_time()
    if engine == "lookalike":
        synthetic = model.sample(n)
    else:
        synthetic = model.sample(num_rows=n)
        if isinstance(synthetic, dict):  # SDV 2.x
            synthetic = synthetic["data"]
    sample_s, sample_cpu = time.perf_counter() - start, time.process_time() - cpu
    if len(synthetic) != n:
        raise RuntimeError(f"{engine} sampled {len(synthetic)} rows, not {n}")
    report(phase="sample", seconds=sample_s, cpu_seconds=sample_cpu,
           peak_mb=_mb(_status_kb("VmHWM")) if peaks else None)


# -- the orchestrator ---------------------------------------------------------------------------

def run_one(spec: dict, timeout: float, python: str, pythonpath: str | None) -> dict:
    """Run one measurement in a fresh process; its peak RSS comes from os.wait4's rusage."""
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-") as tmp:
        out = Path(tmp) / "phases.jsonl"
        log = Path(tmp) / "stderr.log"
        command = [python, str(Path(__file__).resolve()), "--worker", json.dumps(spec),
                   "--worker-output", str(out)]
        env = dict(os.environ, PYTHONHASHSEED="0")
        if pythonpath:  # an exported lookalike source shadows the installed one
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath,
                                                              env.get("PYTHONPATH")]))
        with log.open("w") as stderr:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr,
                                       env=env, start_new_session=True)
        started = time.monotonic()
        status = "ok"
        try:
            while True:
                pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() - started > timeout:
                    os.killpg(process.pid, signal.SIGKILL)
                    pid, wait_status, usage = os.wait4(process.pid, 0)
                    status = "timeout"
                    break
                time.sleep(0.05)
        except BaseException:  # interrupted: take the worker down too
            os.killpg(process.pid, signal.SIGKILL)
            os.wait4(process.pid, 0)
            raise
        process.returncode = os.waitstatus_to_exitcode(wait_status)
        wall = time.monotonic() - started
        phases = {}
        if out.exists():
            for line in out.read_text().splitlines():
                record = json.loads(line)
                phases[record["phase"]] = record
        if status == "ok" and (process.returncode != 0 or "sample" not in phases):
            status = "error"
        error = log.read_text().strip().splitlines()[-1:] if status == "error" else []
    data = phases.get("data", {})
    return {
        **spec,
        "status": status,
        "error": error[0] if error else None,
        "rows": data.get("rows", spec["rows"]),
        "cols": data.get("cols"),
        "fit_s": phases.get("fit", {}).get("seconds"),
        "sample_s": phases.get("sample", {}).get("seconds"),
        # The max of rusage's ru_maxrss (Linux: kilobytes) and every phase's VmHWM: the phase
        # resets (clear_refs) make ru_maxrss report only the high-water mark since the last one.
        "peak_mb": max([usage.ru_maxrss / 1024] + [
            value for value in (data.get("hwm_mb"), phases.get("import", {}).get("hwm_mb"),
                                phases.get("fit", {}).get("peak_mb"),
                                phases.get("sample", {}).get("peak_mb"))
            if value is not None
        ]),
        "maxrss_mb": round(usage.ru_maxrss / 1024, 1),
        "data_mb": data.get("rss_mb"),
        "fit_peak_mb": phases.get("fit", {}).get("peak_mb"),
        "sample_peak_mb": phases.get("sample", {}).get("peak_mb"),
        "import_s": phases.get("import", {}).get("seconds"),
        "source": phases.get("import", {}).get("source"),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "fit_cpu_s": phases.get("fit", {}).get("cpu_seconds"),
        "sample_cpu_s": phases.get("sample", {}).get("cpu_seconds"),
        "sdtypes": phases.get("fit", {}).get("sdtypes"),
        "wall_s": round(wall, 1),
    }


def _seconds(value: float | None, status: str) -> str:
    if value is not None:
        return f"{value:.2f}"
    return status if status != "ok" else "-"


def _row(result: dict) -> list[str]:
    status = result["status"]
    fit, sample = result["fit_s"], result["sample_s"]
    if status == "skipped":
        cells = ["skipped"] * 4
    else:
        total = f"{fit + sample:.2f}" if fit is not None and sample is not None else status
        # a phase that never finished is marked with why; one that never started with "-"
        fit_cell = _seconds(fit, status)
        sample_cell = _seconds(sample, status) if fit is not None else "-"
        cells = [fit_cell, sample_cell, total, f"{result['peak_mb']:.0f}"]
    data_mb = result.get("data_mb")
    return [result["label"], f"{result['rows']:,}", str(result["cols"] or "-"), result["engine"],
            *cells, f"{data_mb:.0f}" if data_mb is not None else "-"]


HEADER = ["dataset", "rows", "cols", "engine", "fit s", "sample s", "total s", "peak MB",
          "data MB"]


def markdown_table(results: list[dict]) -> str:
    align = ["---", "--:", "--:", "---", "--:", "--:", "--:", "--:", "--:"]
    lines = ["| " + " | ".join(HEADER) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_row(r)) + " |" for r in results]
    return "\n".join(lines)


def phase_table(results: list[dict]) -> str:
    lines = [("| dataset | rows | engine | import s | fit CPU s | sample CPU s | fit peak MB | "
             "sample peak MB | worker wall s | worker CPU s |"),
             "| --- | --: | --- | --: | --: | --: | --: | --: | --: | --: |"]
    for r in results:
        if r["status"] == "skipped":
            continue
        fmt = (lambda v: f"{v:.0f}" if v is not None else "-")
        sec = (lambda v: f"{v:.2f}" if v is not None else "-")
        imp, fit_cpu, sample_cpu = (sec(r.get(k)) for k in ("import_s", "fit_cpu_s",
                                                             "sample_cpu_s"))
        lines.append(f"| {r['label']} | {r['rows']:,} | {r['engine']} | {imp} | {fit_cpu} "
                     f"| {sample_cpu} "
                     f"| {fmt(r['fit_peak_mb'])} "
                     f"| {fmt(r['sample_peak_mb'])} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} |")
    return "\n".join(lines)


def target_check(results: list[dict]) -> list[str]:
    lines = []
    ours = [r for r in results if r["engine"] == "lookalike" and r["label"] == "mixed"
            and r["rows"] == TARGET_ROWS]
    for r in ours:
        if r["status"] != "ok":
            lines.append(f"- lookalike at 1M x 20: {r['status']} -> target MISSED")
            continue
        total = r["fit_s"] + r["sample_s"]
        ok = total < TARGET_SECONDS and r["peak_mb"] < TARGET_MB
        cpu = (f" (CPU time {r['fit_cpu_s'] + r['sample_cpu_s']:.1f} s)"
               if r.get("fit_cpu_s") is not None and r.get("sample_cpu_s") is not None else "")
        lines.append(f"- lookalike at 1M x 20: {total:.1f} s wall{cpu} (target < "
                     f"{TARGET_SECONDS:.0f} s), peak {r['peak_mb']:.0f} MB (target < "
                     f"{TARGET_MB:.0f} MB) -> {'met' if ok else 'MISSED'}")
    pairs: dict[tuple[str, int], dict[str, dict]] = {}
    for r in results:
        pairs.setdefault((r["label"], r["rows"]), {})[r["engine"]] = r
    for (label, rows), by_engine in pairs.items():
        ours_r, theirs = by_engine.get("lookalike"), by_engine.get("sdv")
        if not ours_r or not theirs or ours_r["status"] != "ok":
            continue
        ours_total = ours_r["fit_s"] + ours_r["sample_s"]
        if theirs["status"] == "ok":
            theirs_total = theirs["fit_s"] + theirs["sample_s"]
            verdict = "faster" if ours_total < theirs_total else "SLOWER"
            lines.append(f"- {label} {rows:,} rows: lookalike {ours_total:.2f} s vs SDV "
                         f"{theirs_total:.2f} s -> lookalike {verdict} "
                         f"({theirs_total / max(ours_total, 1e-9):.1f}x)")
        elif theirs["status"] in ("timeout", "skipped"):
            lines.append(f"- {label} {rows:,} rows: lookalike {ours_total:.2f} s vs SDV "
                         f"{theirs['status']}")
    return lines


def machine() -> list[str]:
    mem_kb = 0
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [f"nproc {os.cpu_count()}", f"RAM {mem_kb / 1024 / 1024:.1f} GiB", f"CPU {cpu}",
            f"{platform.system()} {platform.release()}", f"Python {platform.python_version()}"]


def load_average() -> str:
    """Other work on the machine skews the timings; the results file says how busy it was."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def versions(python: str) -> str:
    code = ("import importlib.metadata as m\n"
            "out=[]\n"
            "for p in ('lookalike','sdv','numpy','pandas','pyarrow','scikit-learn'):\n"
            "    try: out.append(f'{p} {m.version(p)}')\n"
            "    except m.PackageNotFoundError: out.append(f'{p} (not installed)')\n"
            "print(', '.join(out))")
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


def export_ref(ref: str) -> tuple[str, str]:
    """`git archive` of src/ at `ref` into a temporary folder (the working tree and the index are
    not touched); returns the folder to put on PYTHONPATH and a description."""
    sha = _git("rev-parse", "--short", f"{ref}^{{commit}}")
    folder = Path(tempfile.mkdtemp(prefix=f"lookalike-{sha}-"))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", sha, "src"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    subject = _git("log", "-1", "--format=%s (%ci)", sha)
    name = sha if sha.startswith(ref) else f"{ref} = {sha}"
    return str(folder / "src"), f"git {name}: {subject}, exported with git archive"


def working_tree() -> str:
    try:
        sha = _git("rev-parse", "--short", "HEAD")
        changed = [line for line in _git("status", "--porcelain", "src").splitlines() if line]
    except (OSError, subprocess.CalledProcessError):
        return "the installed lookalike"
    state = f"{len(changed)} uncommitted changes under src/" if changed else "clean"
    return f"the installed lookalike (working tree at HEAD {sha}, {state})"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time fit and sample, and measure peak memory, of lookalike and SDV's "
                    "GaussianCopulaSynthesizer on generated and shipped tables.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="rows of the generated 20-column table (default: 10k 100k 1M)")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--seed", type=int, default=7, help="seed of the data and the engines")
    parser.add_argument("--output", type=Path, default=HERE / "results.md",
                        help="markdown file to write (default: benchmarks/results.md)")
    parser.add_argument("--no-insurance", action="store_true",
                        help="skip the insurance CSVs shipped with lookalike")
    parser.add_argument("--sdv-max-rows", type=int, default=1_000_000,
                        help="skip SDV on tables with more rows than this (default: 1M)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds one run (data + fit + sample) may take before it is "
                             "killed and marked 'timeout' (default: 1800)")
    parser.add_argument("--input", choices=("arrow", "pandas"), default="arrow",
                        help="what lookalike is given: a pyarrow Table (default) or a pandas "
                             "DataFrame; SDV always gets pandas")
    parser.add_argument("--lookalike-ref",
                        help="benchmark lookalike as committed at this git ref (exported with git "
                             "archive and put first on the workers' PYTHONPATH) instead of the "
                             "installed package, e.g. HEAD while the working tree is being edited")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter of the worker processes (default: this one)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-output", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker), args.worker_output)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    command = shlex.join([sys.executable, *sys.argv])
    load_before = load_average()
    pythonpath, source = export_ref(args.lookalike_ref) if args.lookalike_ref else (
        None, working_tree())
    datasets = [("mixed", "mixed", rows) for rows in args.sizes]
    if not args.no_insurance:
        datasets += [(name, name.removesuffix(".csv"), 0) for name in INSURANCE_FILES]
    try:
        results = measure(args, datasets, pythonpath)
    finally:
        if pythonpath:
            shutil.rmtree(Path(pythonpath).parent, ignore_errors=True)
    write_results(args, results, command, load_before, source)
    return 0


def measure(args: argparse.Namespace, datasets: list[tuple[str, str, int]],
            pythonpath: str | None) -> list[dict]:
    results = []
    for dataset, label, rows in datasets:
        for engine in args.engines:
            spec = {"dataset": dataset, "label": label, "rows": rows, "engine": engine,
                    "seed": args.seed, "input": args.input}
            if engine == "sdv" and rows > args.sdv_max_rows:
                result = {**spec, "status": "skipped", "cols": None, "data_mb": None,
                          "fit_s": None, "sample_s": None, "peak_mb": None, "sdtypes": None}
            else:
                print(f"... {label} {rows or ''} {engine}", file=sys.stderr, flush=True)
                result = run_one(spec, args.timeout, args.python, pythonpath)
                if result["error"]:
                    print(f"    error: {result['error']}", file=sys.stderr)
            results.append(result)
            print(f"    {' | '.join(_row(result))}", file=sys.stderr, flush=True)
    return results


def write_results(args: argparse.Namespace, results: list[dict], command: str, load_before: str,
                  source: str) -> None:
    table = markdown_table(results)
    print(table)
    checks = target_check(results)
    sdtypes = next((r["sdtypes"] for r in results
                    if r["engine"] == "sdv" and r["label"] == "mixed" and r.get("sdtypes")), None)
    text = [
        "# lookalike benchmark results",
        "",
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {', '.join(machine())}",
        f"- load average (1/5/15 min) at start: {load_before}; at end: {load_average()}",
        f"- packages: {versions(args.python)}",
        (f"- lookalike source: {source}; imported from "
        f"{next((r['source'] for r in results if r.get('source')), '-')}"),
        f"- command: `{command}`",
        (f"- seed {args.seed}; lookalike input: {args.input}; SDV skipped above "
        f"{args.sdv_max_rows:,} rows; per-run timeout {args.timeout:.0f} s"),
        "",
        ("Each row is one fresh worker process: build the data, `fit`, then `sample` as many rows "
        "as the input. *peak MB* is the worker's peak RSS over its whole life, data generation "
        "included (the max of os.wait4's `ru_maxrss` and each phase's VmHWM); *data MB* is its "
        "RSS once the input table was built, before fit. "
        "`timeout`: killed after the per-run timeout; `skipped`: above --sdv-max-rows."),
        "",
        table,
        "",
        "## Target",
        "",
        ("lookalike: 1M rows x 20 columns fit + sample in under 2 minutes, peak memory under "
        "4 GB, faster than SDV at every size."),
        "",
        *(checks or ["- (no 1M lookalike run in this invocation)"]),
        "",
        "## Imports, CPU time and peak memory by phase",
        "",
        ("*import s*: importing the engine, not counted in fit s. *CPU s*: the phase's process "
        "CPU time (all threads), which other work on the machine inflates much less than wall "
        "time; CPU s well below wall s means the run was waiting for a core. Peaks by phase: "
        "VmHWM reset (`/proc/self/clear_refs`) before fit and before sample, so each is that "
        "phase's own high-water mark (input data and imports still held)."),
        "",
        phase_table(results),
    ]
    if sdtypes:
        text += ["", "SDV's detected sdtypes for the mixed table: " +
                 ", ".join(f"{k}={v}" for k, v in sdtypes.items())]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(text) + "\n")
    print(f"\nwritten to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
