"""Step 3: the lab's GENERATE_SYNTHETIC_DATA call, on both insurance tables with `policy_number`
as the join key, through the same procedure `lookalike generate` runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lookalike.demo.lab import DATA, catalog
from lookalike.demo.prepare import join_claims
from lookalike.errors import ReadError
from lookalike.io.base import Connector, quote
from lookalike.procedure.generate import generate_synthetic_data

# The lab passes a secret so that keys stay the same across runs; a real deployment reads it
# from the environment: {"env": "LOOKALIKE_CONSISTENCY_SECRET"}.
DEMO_SECRET = "lookalike-demo-secret"
CLAIMS, CUSTOMERS = "CLAIM_DATA", "CUSTOMER_DATA"


def lab_config(db: Connector, *, schema: str = DATA, suffix: str = "",
               output_suffix: str = "_SYNTHETIC", customer_rows: int | None = None,
               seed: int | None = None) -> dict[str, Any]:
    """The lab's configuration for `schema.CLAIM_DATA{suffix}` and `schema.CUSTOMER_DATA{suffix}`,
    written next to them with `output_suffix`; `customer_rows` asks for more (or fewer)
    customers, and claims follow them."""
    prefix = f"{quote(catalog(db))}.{quote(schema)}"  # a catalog may hold dots or spaces
    datasets = []
    for table in (CLAIMS, CUSTOMERS):
        dataset: dict[str, Any] = {
            "input_table": f"{prefix}.{quote(table + suffix)}",
            "output_table": f"{prefix}.{quote(table + suffix + output_suffix)}",
            "columns": {"policy_number": {"join_key": True}},
        }
        if table == CUSTOMERS and customer_rows is not None:
            dataset["num_rows"] = customer_rows
        datasets.append(dataset)
    config: dict[str, Any] = {"datasets": datasets, "similarity_filter": False,
                              "replace_output_tables": True, "consistency_secret": DEMO_SECRET}
    if seed is not None:
        config["seed"] = seed
    return config


def synthesise(db: Connector, config: dict[str, Any], *, report: Path | None = None,
               progress: bool = False) -> pd.DataFrame:
    """Run the procedure on the demo's open database; return its metrics table."""
    return generate_synthetic_data(config, db, progress=progress, report=report)


def read_frames(db: Connector, config: dict[str, Any], key: str) -> tuple[pd.DataFrame, ...]:
    """The tables named by `config`'s datasets under `key` ("input_table" or "output_table"),
    as pandas frames, claims first."""
    frames = []
    for dataset in config["datasets"]:
        found = db.find_table(dataset[key])
        if found is None:
            raise ReadError(f"{dataset[key]} is missing from the demo's database")
        frames.append(db.read_table(found).to_pandas())
    return tuple(frames)


def synthetic_claims(db: Connector, config: dict[str, Any]) -> pd.DataFrame:
    """Run `config` and return its synthetic claims joined to their synthetic customers."""
    synthesise(db, config)
    claims, customers = read_frames(db, config, "output_table")
    return join_claims(claims, customers, synthetic=True)
