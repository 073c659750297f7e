"""Fake values: the right shape for each kind, and the same fakes for the same seed."""

from __future__ import annotations

import re
import uuid

import numpy as np
import pytest
from faker.providers.person.en_US import Provider as PersonProvider

from lookalike.fakes import FAKERS, REDACTED, fake
from lookalike.metadata import REPLACE_KINDS

KINDS = ["redact", *FAKERS]
N = 2_000


def _fakes(kind: str, n: int = N, seed: int = 0) -> list[str]:
    return fake(kind, n, np.random.default_rng(seed)).tolist()


def test_every_replace_kind_has_a_faker():
    assert set(KINDS) == set(REPLACE_KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_each_fake_has_the_pattern_of_its_kind(kind, fake_patterns):
    values = _fakes(kind)
    assert len(values) == N
    assert all(isinstance(value, str) for value in values)
    wrong = [value for value in values if not re.fullmatch(fake_patterns[kind], value)]
    assert not wrong


def test_uuids_are_version_4_and_distinct():
    values = _fakes("uuid")
    for value in values:
        parsed = uuid.UUID(value)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == value
    assert len(set(values)) == N


def test_emails_have_one_at_and_a_reserved_domain():
    for value in _fakes("email"):
        local, domain = value.split("@")
        assert local and "@" not in domain
        assert domain.endswith("example.com") or domain in ("example.org", "example.net")


def test_ssns_are_never_of_a_kind_that_is_never_issued():
    for value in _fakes("ssn", 5_000):
        area, group, serial = value.split("-")
        assert area != "000" and area != "666" and not area.startswith("9")
        assert group != "00" and serial != "0000"


def test_phone_numbers_have_valid_area_and_exchange_codes():
    for value in _fakes("phone"):
        area, exchange = int(value[1:4]), int(value[6:9])
        assert 201 <= area <= 989
        assert exchange >= 200


def test_names_come_from_the_name_lists():
    first, last = set(PersonProvider.first_names), set(PersonProvider.last_names)
    assert set(_fakes("first_name")) <= first
    assert set(_fakes("last_name")) <= last
    for value in _fakes("name"):
        given, family = value.split(" ")
        assert given in first and family in last


def test_names_follow_the_name_frequencies():
    """Common names are common: the most frequent last name in the list is drawn far more often
    than the least frequent."""
    weights = PersonProvider.last_names
    common, uncommon = max(weights, key=weights.get), min(weights, key=weights.get)
    values = _fakes("last_name", 50_000)
    assert values.count(common) > 10 * max(1, values.count(uncommon))


def test_redacted_values_are_all_the_marker():
    assert _fakes("redact") == [REDACTED] * N


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_gives_the_same_fakes(kind):
    assert _fakes(kind, 500, seed=11) == _fakes(kind, 500, seed=11)


@pytest.mark.parametrize("kind", list(FAKERS))
def test_another_seed_gives_other_fakes(kind):
    assert _fakes(kind, 500, seed=11) != _fakes(kind, 500, seed=12)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [0, 1])
def test_zero_and_one_fakes(kind, n, fake_patterns):
    values = _fakes(kind, n)
    assert len(values) == n
    assert all(re.fullmatch(fake_patterns[kind], value) for value in values)


def test_fakes_are_varied():
    for kind in FAKERS:
        values = _fakes(kind)
        distinct = len(set(values))
        assert distinct > (N / 10 if kind in ("first_name", "last_name") else N / 2), kind
