"""Shared fixtures: the insurance tables shipped with lookalike, and what fakes look like."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

INSURANCE = Path(str(resources.files("lookalike") / "data" / "insurance"))


@pytest.fixture(scope="session")
def claims_path() -> Path:
    return INSURANCE / "claim_data.csv"


@pytest.fixture(scope="session")
def customers_path() -> Path:
    return INSURANCE / "customer_data.csv"


# What a value of each `replace` kind looks like (see lookalike.fakes).
FAKE_PATTERNS = {
    "redact": r"\[REDACTED\]",
    "uuid": r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
    "name": r"[A-Z][a-z]+(?:[A-Z][a-z]+)? [A-Z][a-z]+(?:[A-Z][a-z]+)?",
    "first_name": r"[A-Z][a-z]+(?:[A-Z][a-z]+)?",
    "last_name": r"[A-Z][a-z]+(?:[A-Z][a-z]+)?",
    "address": r"[1-9]\d{0,3} [^,]+",
    "full_address": r"[1-9]\d{0,3} [^,]+, [^,]+, [A-Z]{2} \d{5}",
    "email": r"[a-z]+\.[a-z]+[1-9]\d{0,2}@(?:mail\.)?example\.(?:com|org|net)",
    "phone": r"\([2-9]\d{2}\) [2-9]\d{2}-\d{4}",
    "ssn": r"(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}",
}


@pytest.fixture(scope="session")
def fake_patterns() -> dict[str, str]:
    return FAKE_PATTERNS
