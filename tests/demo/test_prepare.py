import numpy as np
import pandas as pd

from lookalike.demo.fraud_model import features
from lookalike.demo.prepare import MARK, clean, join_claims, modes, plot_claim_amount


def _tables():
    claims = pd.DataFrame({"POLICY_NUMBER": [1, 2, 3, 9], "INCIDENT_DATE": ["2015-01-01"] * 4,
                           "POLICE_REPORT_AVAILABLE": ["YES", "?", "NO", "NO"],
                           "AUTHORITIES_CONTACTED": ["None", "Police", "?", "Fire"],
                           "CLAIM_AMOUNT": [10, 20, 30, 40],
                           "FRAUD_REPORTED": [True, False, False, True]})
    customers = pd.DataFrame({"POLICY_NUMBER": [1, 2, 3, 4], "AGE": [30, 40, 50, 60],
                              "INSURED_SEX": ["F", "M", "?", "F"]})
    return claims, customers


def test_join_keeps_claims_with_a_customer_and_marks_them():
    claims, customers = _tables()
    joined = join_claims(claims, customers, synthetic=True)
    assert joined["POLICY_NUMBER"].tolist() == [1, 2, 3]
    assert joined[MARK].all() and "AGE" in joined


def test_question_marks_are_missing_and_two_columns_get_their_mode():
    claims, customers = _tables()
    joined = join_claims(claims, customers, synthetic=False)
    fill = modes(joined)
    assert fill == {"POLICE_REPORT_AVAILABLE": "NO", "AUTHORITIES_CONTACTED": "None"}
    cleaned = clean(joined, fill)
    assert cleaned["POLICE_REPORT_AVAILABLE"].tolist() == ["YES", "NO", "NO"]
    assert cleaned["AUTHORITIES_CONTACTED"].tolist() == ["None", "Police", "None"]
    assert cleaned["INSURED_SEX"].isna().tolist() == [False, False, True]  # only '?' → missing
    assert joined["POLICE_REPORT_AVAILABLE"].tolist()[1] == "?"  # the input is not modified


def test_features_drop_age_dates_keys_and_the_mark():
    claims, customers = _tables()
    x, y = features(join_claims(claims, customers, synthetic=True))
    assert list(x.columns) == ["POLICE_REPORT_AVAILABLE", "AUTHORITIES_CONTACTED",
                               "CLAIM_AMOUNT", "INSURED_SEX"]
    assert y.tolist() == [1, 0, 0]


def test_the_claim_amount_plot_is_a_png(tmp_path):
    rng = np.random.default_rng(0)
    path = plot_claim_amount(pd.Series(rng.normal(size=100)), pd.Series(rng.normal(size=80)),
                             tmp_path / "plot.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
