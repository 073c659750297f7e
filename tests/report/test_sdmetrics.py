"""The column shapes and pair trends agree with SDMetrics' QualityReport (within 0.02; in
practice to the last digit), on lookalike's output for the insurance tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from lookalike.report import evaluate

sdmetrics = pytest.importorskip("sdmetrics", reason="sdmetrics is a test-only dependency")
SDTYPES = {"number": "numerical", "date": "datetime", "category": "categorical"}


def sdmetrics_scores(real, synthetic, kinds: dict[str, str]) -> dict[str, float]:
    from sdmetrics.reports import QualityReport

    def frame(table) -> pd.DataFrame:
        out = table.to_pandas()[list(kinds)]
        for name, kind in kinds.items():
            if kind == "date":
                out[name] = pd.to_datetime(out[name])
            elif kind == "category":
                out[name] = out[name].astype(object).map(
                    lambda v: v if v is None or (isinstance(v, float) and np.isnan(v))
                    else str(v).lower() if isinstance(v, (bool, np.bool_)) else str(v))
        return out

    columns = {name: {"sdtype": SDTYPES[kind]} for name, kind in kinds.items()}
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate({"table": frame(real)}, {"table": frame(synthetic)},
                        {"tables": {"table": {"columns": columns}}}, verbose=False)
    scores = report.get_properties().set_index("Property")["Score"]
    return {"overall": report.get_score(), "shapes": scores["Column Shapes"],
            "pairs": scores["Column Pair Trends"]}


@pytest.mark.parametrize("case", ["claims_case", "customers_case"])
@pytest.mark.parametrize("other", ["synthetic", "holdout"])
def test_scores_agree_with_sdmetrics(request, case, other):
    tables = request.getfixturevalue(case)
    metrics = evaluate(tables["train"], tables[other])
    kinds = {c.name: c.kind for c in metrics.columns}
    expected = sdmetrics_scores(tables["train"], tables[other], kinds)
    assert metrics.column_shapes == pytest.approx(expected["shapes"], abs=0.02)
    assert metrics.column_pair_trends == pytest.approx(expected["pairs"], abs=0.02)
    assert metrics.overall == pytest.approx(expected["overall"], abs=0.02)


def test_scores_agree_with_sdmetrics_with_nulls():
    n = 800

    def table(seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        x = rng.normal(size=n)
        frame = pd.DataFrame({
            "x": x, "y": x * 2 + rng.normal(size=n), "k": np.where(x > 0.2, "hi", "lo"),
            "d": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 99, n), "D"),
        })
        frame.loc[rng.random(n) < 0.1, "x"] = np.nan
        frame.loc[rng.random(n) < 0.1, "k"] = None
        return frame

    from lookalike.tabular import to_arrow
    real, other = to_arrow(table(1)), to_arrow(table(2))
    metrics = evaluate(real, other)
    expected = sdmetrics_scores(real, other, {c.name: c.kind for c in metrics.columns})
    assert metrics.column_shapes == pytest.approx(expected["shapes"], abs=0.02)
    assert metrics.column_pair_trends == pytest.approx(expected["pairs"], abs=0.02)
