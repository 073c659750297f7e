"""Step 4: join synthetic claims to synthetic customers, mark them `IS_SYNTHETIC`, stack them with
the joined real data, clean as the lab does, and plot `CLAIM_AMOUNT` real against synthetic.

Cleaning follows the lab: `?` means missing, and `POLICE_REPORT_AVAILABLE` and
`AUTHORITIES_CONTACTED` are filled with their mode. `AUTHORITIES_CONTACTED = 'None'` is a real
answer (no authority was called), not a missing value, so it is kept.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

KEY = "POLICY_NUMBER"
MARK = "IS_SYNTHETIC"
MISSING = "?"
MODE_FILLED = ("POLICE_REPORT_AVAILABLE", "AUTHORITIES_CONTACTED")
AMOUNT = "CLAIM_AMOUNT"


def join_claims(claims: pd.DataFrame, customers: pd.DataFrame, *, synthetic: bool) -> pd.DataFrame:
    """Each claim with its customer's columns (an inner join on the key, as the lab's SQL)."""
    joined = claims.merge(customers, on=KEY, how="inner", validate="many_to_one")
    joined[MARK] = synthetic
    return joined


def missing_as_null(frame: pd.DataFrame) -> pd.DataFrame:
    text = frame.select_dtypes(include=["object", "string"]).columns
    cleaned = frame.copy()
    cleaned[text] = cleaned[text].replace(MISSING, np.nan)
    return cleaned


def modes(frame: pd.DataFrame) -> dict[str, str]:
    """The fill values, learnt from (real, training) rows only."""
    frame = missing_as_null(frame)
    return {column: frame[column].mode().iloc[0] for column in MODE_FILLED}


def clean(frame: pd.DataFrame, fill: dict[str, str]) -> pd.DataFrame:
    cleaned = missing_as_null(frame)
    return cleaned.fillna({column: fill[column] for column in MODE_FILLED})


def plot_claim_amount(real: pd.Series, synthetic: pd.Series, path: Path) -> Path:
    """Overlaid histograms of the claim amounts, on the same bins, as a PNG file."""
    from matplotlib.figure import Figure  # no pyplot: no global state in the caller's session

    figure = Figure(figsize=(7, 3.6), dpi=110)
    axes = figure.subplots()
    bins = np.histogram_bin_edges(pd.concat([real, synthetic]).dropna(), bins=30)
    axes.hist(real.dropna(), bins=bins, density=True, alpha=0.55, label=f"real ({len(real):,})",
              color="#1f77b4")
    axes.hist(synthetic.dropna(), bins=bins, density=True, alpha=0.55,
              label=f"synthetic ({len(synthetic):,})", color="#ff7f0e")
    axes.set_xlabel(AMOUNT)
    axes.set_ylabel("density")
    axes.set_title("Claim amounts: real and synthetic")
    axes.legend(frameon=False)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
