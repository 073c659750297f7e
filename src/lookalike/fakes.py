"""Fake values that replace non-categorical strings: names, emails, addresses, ids.

Faker supplies the vocabulary (its en_US name lists with their frequencies, street and city
names); numpy draws from it, so a million fakes take a fraction of a second and the same
generator state gives the same fakes. No real value goes in: fakes depend on the seed only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import cache

import numpy as np
from faker import Faker
from faker.providers.address.en_US import Provider as AddressProvider
from faker.providers.person.en_US import Provider as PersonProvider

REDACTED = "[REDACTED]"
_POOL = 2_000
_EMAIL_DOMAINS = np.array(["example.com", "example.org", "example.net", "mail.example.com"])


@cache
def _weighted(names: tuple[tuple[str, float], ...]) -> tuple[np.ndarray, np.ndarray]:
    values = np.array([name for name, _ in names])
    weights = np.array([weight for _, weight in names], dtype=np.float64)
    return values, weights / weights.sum()


def _first_names(rng: np.random.Generator, n: int) -> np.ndarray:
    values, p = _weighted(tuple(PersonProvider.first_names.items()))
    return rng.choice(values, n, p=p)


def _last_names(rng: np.random.Generator, n: int) -> np.ndarray:
    values, p = _weighted(tuple(PersonProvider.last_names.items()))
    return rng.choice(values, n, p=p)


def _faker(rng: np.random.Generator) -> Faker:
    faker = Faker("en_US")
    faker.seed_instance(int(rng.integers(2**31)))
    return faker


def _pool(rng: np.random.Generator, n: int, make: Callable[[Faker], str]) -> np.ndarray:
    faker = _faker(rng)
    pool = np.array([make(faker) for _ in range(min(n, _POOL))])
    return rng.choice(pool, n)


def _digits(rng: np.random.Generator, n: int, width: int, low: int = 0) -> np.ndarray:
    return _zero_padded(rng.integers(low, 10**width, n), width)


def _zero_padded(numbers: np.ndarray, width: int) -> np.ndarray:
    if numbers.size == 0:  # np.char.zfill fails on empty arrays
        return np.zeros(0, dtype=f"<U{width}")
    return np.char.zfill(numbers.astype(str), width)


def _join(*parts: np.ndarray | str) -> np.ndarray:
    out = np.asarray(parts[0]).astype(object)
    for part in parts[1:]:
        out = out + np.asarray(part).astype(object)
    return out


def _uuid(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    return np.array([str(uuid.UUID(bytes=row.tobytes())) for row in raw], dtype=object)


def _address(rng: np.random.Generator, n: int) -> np.ndarray:
    number = rng.integers(1, 9999, n).astype(str)
    street = _pool(rng, n, lambda f: f.street_name())
    return _join(number, " ", street)


def _full_address(rng: np.random.Generator, n: int) -> np.ndarray:
    city = _pool(rng, n, lambda f: f.city())
    state = rng.choice(np.array(AddressProvider.states_abbr), n)
    return _join(_address(rng, n), ", ", city, ", ", state, " ", _digits(rng, n, 5, 501))


def _email(rng: np.random.Generator, n: int) -> np.ndarray:
    first = np.char.lower(_first_names(rng, n).astype(str))
    last = np.char.lower(_last_names(rng, n).astype(str))
    return _join(first, ".", last, rng.integers(1, 1000, n).astype(str), "@",
                 rng.choice(_EMAIL_DOMAINS, n))


def _phone(rng: np.random.Generator, n: int) -> np.ndarray:
    area = rng.integers(201, 990, n).astype(str)
    return _join("(", area, ") ", _digits(rng, n, 3, 200), "-", _digits(rng, n, 4))


def _ssn(rng: np.random.Generator, n: int) -> np.ndarray:
    area = rng.integers(1, 900, n)
    area = np.where(area == 666, 667, area)  # 000, 666 and 900-999 are never issued
    return _join(_zero_padded(area, 3), "-", _digits(rng, n, 2, 1), "-",
                 _digits(rng, n, 4, 1))


FAKERS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "uuid": _uuid,
    "name": lambda rng, n: _join(_first_names(rng, n), " ", _last_names(rng, n)),
    "first_name": _first_names,
    "last_name": _last_names,
    "address": _address,
    "full_address": _full_address,
    "email": _email,
    "phone": _phone,
    "ssn": _ssn,
}


def fake(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` fake strings of `kind` (one of FAKERS, or "redact")."""
    if kind == "redact":
        return np.full(n, REDACTED, dtype=object)
    return np.asarray(FAKERS[kind](rng, n), dtype=object)
