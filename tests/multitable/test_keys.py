"""Pseudonymous keys: the real keys' look, never a real key, stable with a secret."""

import uuid

import numpy as np
import pyarrow as pa
import pytest

from lookalike.errors import InvalidOptionError
from lookalike.multitable.keys import KeyFormat, pseudonyms

REAL_INTS = pa.chunked_array([pa.array([100804, 521585, 999435, 342868], pa.int64())])
REAL_STRINGS = pa.chunked_array([pa.array(["a-1", "b-2", "c-3"])])


def test_integer_keys_keep_the_digit_count_and_are_never_real():
    keys = pseudonyms(KeyFormat(REAL_INTS), REAL_INTS, 5_000, secret=None,
                      rng=np.random.default_rng(0)).to_pylist()
    assert len(set(keys)) == 5_000
    assert all(100_000 <= k <= 999_999 for k in keys)
    assert not set(keys) & set(REAL_INTS.to_pylist())


def test_string_keys_are_uuids_or_emails():
    as_uuid = pseudonyms(KeyFormat(REAL_STRINGS), REAL_STRINGS, 10, secret=None,
                         rng=np.random.default_rng(0)).to_pylist()
    assert all(uuid.UUID(k).version == 4 for k in as_uuid)
    as_email = pseudonyms(KeyFormat(REAL_STRINGS, "email"), REAL_STRINGS, 10, secret=None,
                          rng=np.random.default_rng(0)).to_pylist()
    assert all(k.count("@") == 1 and k.endswith("@example.com") for k in as_email)


def test_the_same_secret_gives_the_same_pool_and_a_new_deal():
    def pool(secret, seed):
        return pseudonyms(KeyFormat(REAL_INTS), REAL_INTS, 4, secret=secret,
                          rng=np.random.default_rng(seed)).to_pylist()
    first, second = pool(b"s3cret", 1), pool(b"s3cret", 2)
    assert set(first) == set(second)  # separate runs join
    assert first != second  # dealt at random to rows
    assert set(pool(b"other", 1)) != set(first)
    assert set(pool(None, 1)) != set(pool(None, 2))


def test_sequential_ids_that_fill_their_range_continue_past_it():
    sequential = pa.chunked_array([pa.array(np.arange(1, 401), pa.int64())])
    keys = pseudonyms(KeyFormat(sequential), sequential, 400, secret=None,
                      rng=np.random.default_rng(0)).to_pylist()
    assert len(set(keys)) == 400 and min(keys) > 400


def test_more_keys_than_the_type_holds_is_an_error():
    small = pa.chunked_array([pa.array([100, 120, 127], pa.int8())])
    with pytest.raises(InvalidOptionError, match="cannot make 200 distinct keys of type int8"):
        pseudonyms(KeyFormat(small), small, 200, secret=None, rng=np.random.default_rng(0))


def test_keys_of_other_types_are_refused():
    dates = pa.chunked_array([pa.array([1, 2], pa.date32())])
    with pytest.raises(InvalidOptionError, match="join keys must be integer or string columns"):
        KeyFormat(dates)


def test_a_key_of_another_type_names_its_table_and_column():
    from lookalike.multitable import MultiTableSynthesizer

    days = pa.array(np.arange(40, dtype=np.int32), pa.date32())
    tables = {"visits": pa.table({"day": days, "count": np.arange(40) % 7})}
    with pytest.raises(InvalidOptionError, match="table visits, column day: join key of type "
                                                 "date32"):
        MultiTableSynthesizer(relationships=[], random_state=0).fit(tables, keys={"visits": ["day"]})
