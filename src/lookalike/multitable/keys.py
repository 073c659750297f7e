"""Synthetic join keys: pseudonyms that look like the real keys and are never real keys.

A parent's synthetic rows get unique pseudonyms of the key's type: integers with the real keys'
digit count (or within their range, extended past its end when the real keys fill it, as
sequential ids 1 … n do), strings as UUIDs or, on request, e-mail addresses.

With a consistency secret, the pool of pseudonyms is HMAC-SHA256(secret, real key): the same
real key gives the same pseudonym in every run, so tables made by separate runs still join.
Pseudonyms are then *dealt to synthetic rows at random*: a synthetic row is not the real entity
of its key, and knowing the secret links no synthetic row to a real one. Without a secret the
pool is random, and pseudonyms differ between runs.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker.providers.person.en_US import Provider as PersonProvider

from lookalike.errors import InvalidOptionError

_FIRST = sorted(PersonProvider.first_names)
_LAST = sorted(PersonProvider.last_names)


class KeyFormat:
    """How pseudonyms of one key column look, learned from its real values."""

    def __init__(self, real: pa.ChunkedArray, replace: str | None = None) -> None:
        self.type = real.type
        self.replace = replace or "uuid"
        self.real = set(real.drop_null().to_pylist())
        if pa.types.is_integer(real.type):
            self.maximum = int(np.iinfo(real.type.to_pandas_dtype()).max)
            low, high = _integer_range(real)
            self.low, self.high = low, min(high, self.maximum)
        elif not (pa.types.is_string(real.type) or pa.types.is_large_string(real.type)):
            raise InvalidOptionError(
                f"join key of type {real.type}: join keys must be integer or string columns"
            )

    def format(self, digest: bytes) -> object:
        """One pseudonym from 32 random-looking bytes."""
        number = int.from_bytes(digest[:16], "big")
        if pa.types.is_integer(self.type):
            return self.low + number % (self.high - self.low + 1)
        if self.replace == "email":
            first = _FIRST[number % len(_FIRST)].lower()
            last = _LAST[(number // len(_FIRST)) % len(_LAST)].lower()
            return f"{first}.{last}{number % 100_000}@example.com"
        return str(uuid.UUID(bytes=digest[16:32], version=4))

    def capacity(self) -> int:
        if pa.types.is_integer(self.type):
            return self.high - self.low + 1 - len(self.real)
        return 2**64

    def make_room(self, count: int) -> None:
        """Widen an integer range the real keys fill (ids 1 … n) just past its end, so that
        `count` keys fit that are not real ones."""
        if pa.types.is_integer(self.type) and self.capacity() < count:
            self.high = min(self.maximum, self.high + 2 * count)


def _integer_range(real: pa.ChunkedArray) -> tuple[int, int]:
    """Keys of the real keys' digit count when they all have the same, else their range."""
    low, high = pc.min(real).as_py(), pc.max(real).as_py()
    if low is None:
        return 1, 10**9
    if low > 0 and len(str(low)) == len(str(high)):
        digits = len(str(high))
        return 10 ** (digits - 1), 10**digits - 1
    return low, high


def pseudonyms(key: KeyFormat, real: pa.ChunkedArray, count: int, *, secret: bytes | None,
               rng: np.random.Generator) -> pa.Array:
    """`count` unique pseudonyms for a parent's synthetic rows, none of them a real key."""
    key.make_room(count)
    if count > key.capacity():
        raise InvalidOptionError(
            f"cannot make {count} distinct keys of type {key.type} that look like the real ones "
            f"(only {key.capacity()} are free); generate fewer rows"
        )
    if secret is None and pa.types.is_integer(key.type):
        return _random_integers(key, real, count, rng)
    if secret is None:
        digests = (rng.bytes(32) for _ in iter(int, 1))
    else:
        digests = _keyed_digests(secret, real)
    pool: list[object] = []
    taken: set[object] = set()
    for digest in digests:
        value = key.format(digest)
        if value not in key.real and value not in taken:
            taken.add(value)
            pool.append(value)
            if len(pool) == count:
                break
    order = rng.permutation(len(pool))  # dealt at random: no link to the real entity
    return pa.array([pool[i] for i in order], type=key.type)


def _random_integers(key: KeyFormat, real: pa.ChunkedArray, count: int,
                     rng: np.random.Generator) -> pa.Array:
    """Random integer pseudonyms, vectorised: draw, drop real keys and repeats, draw again."""
    real_values = real.drop_null().to_numpy()
    chosen = np.zeros(0, dtype=np.int64)
    while len(chosen) < count:
        draws = rng.integers(key.low, key.high + 1, int((count - len(chosen)) * 1.2) + 16)
        fresh = draws[~np.isin(draws, real_values)]
        merged = np.concatenate([chosen, fresh])
        _, first = np.unique(merged, return_index=True)
        chosen = merged[np.sort(first)]
    return pa.array(chosen[:count]).cast(key.type)


def _keyed_digests(secret: bytes, real: pa.ChunkedArray):
    """HMAC-SHA256 of each real key (sorted, so the pool is the same in every run), then of
    counters once more keys are needed than there are real ones."""
    values = sorted(str(v) for v in set(real.drop_null().to_pylist()))
    for value in values:
        yield hmac.new(secret, f"key:{value}".encode(), hashlib.sha256).digest()
    counter = 0
    while True:
        yield hmac.new(secret, f"extra:{counter}".encode(), hashlib.sha256).digest()
        counter += 1
