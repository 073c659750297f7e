"""The numeric column model: properties of decode(encode(x)), granularity, units, merging."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike.columns import numeric

SETTINGS = settings(max_examples=40, deadline=None)


def _fit(column: pa.ChunkedArray | pa.Array, n_bins: int = 16) -> numeric.NumericModel:
    column = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column])
    return numeric.reduce([numeric.analyze(column, np.random.default_rng(0))], n_bins)


def _round_trip(array: pa.Array, seed: int = 1) -> pa.Array:
    column = pa.chunked_array([array])
    model = _fit(column)
    return model.decode(model.encode(column), array.type, np.random.default_rng(seed))


def _nulls(array: pa.Array) -> list[bool]:
    return array.is_null().to_pylist()


def _valid(array: pa.Array) -> list:
    return pc.drop_null(array).to_pylist()


# -- properties -------------------------------------------------------------------------------

INTEGER_TYPES = {
    "int8": (pa.int8(), -(2**7), 2**7 - 1),
    "int32": (pa.int32(), -(2**31), 2**31 - 1),
    "uint32": (pa.uint32(), 0, 2**32 - 1),
    "int64": (pa.int64(), -(2**53), 2**53),
}


@pytest.mark.parametrize("name", INTEGER_TYPES)
@SETTINGS
@given(data=st.data())
def test_integers_keep_type_nulls_and_range(name, data):
    arrow_type, low, high = INTEGER_TYPES[name]
    values = data.draw(st.lists(st.one_of(st.none(), st.integers(low, high)), min_size=1,
                                max_size=300))
    array = pa.array(values, type=arrow_type)
    synthetic = _round_trip(array)
    assert synthetic.type == arrow_type
    assert _nulls(synthetic) == _nulls(array)
    real_valid = _valid(array)
    if real_valid:
        assert min(real_valid) <= min(_valid(synthetic))
        assert max(_valid(synthetic)) <= max(real_valid)


@SETTINGS
@given(
    places=st.integers(0, 4),
    cents=st.lists(st.one_of(st.none(), st.integers(-(10**9), 10**9)), min_size=1,
                   max_size=300),
)
def test_floats_keep_decimal_places_nulls_and_range(places, cents):
    values = [None if c is None else round(c / 10**places, places) for c in cents]
    array = pa.array(values, type=pa.float64())
    synthetic = _round_trip(array)
    assert synthetic.type == pa.float64()
    assert _nulls(synthetic) == _nulls(array)
    real_valid, synthetic_valid = _valid(array), _valid(synthetic)
    if real_valid:
        assert min(real_valid) <= min(synthetic_valid)
        assert max(synthetic_valid) <= max(real_valid)
        assert all(round(v, places) == v for v in synthetic_valid)


@SETTINGS
@given(
    scale=st.integers(0, 4),
    units=st.lists(st.one_of(st.none(), st.integers(-(10**12), 10**12)), min_size=1,
                   max_size=200),
)
def test_decimals_keep_type_nulls_and_range(scale, units):
    arrow_type = pa.decimal128(18, scale)
    values = [None if u is None else Decimal(u).scaleb(-scale) for u in units]
    array = pa.array(values, type=arrow_type)
    synthetic = _round_trip(array)
    assert synthetic.type == arrow_type
    assert _nulls(synthetic) == _nulls(array)
    if _valid(array):
        assert min(_valid(array)) <= min(_valid(synthetic))
        assert max(_valid(synthetic)) <= max(_valid(array))


TEMPORAL_TYPES = {
    "timestamp_s": (pa.timestamp("s"), 1),
    "timestamp_ms_london": (pa.timestamp("ms", tz="Europe/London"), 1),
    "timestamp_ns_whole_seconds": (pa.timestamp("ns"), 10**9),
    "duration_us": (pa.duration("us"), 1),
    "time64_us": (pa.time64("us"), 1),
}


@pytest.mark.parametrize("name", TEMPORAL_TYPES)
@SETTINGS
@given(data=st.data())
def test_temporal_values_keep_type_nulls_range_and_unit(name, data):
    arrow_type, multiple = TEMPORAL_TYPES[name]
    high = 86_400 * 10**6 - 1 if pa.types.is_time(arrow_type) else 4 * 10**9
    steps = data.draw(st.lists(st.one_of(st.none(), st.integers(0, high)), min_size=1,
                               max_size=300))
    storage = [None if s is None else s * multiple for s in steps]
    array = pa.array(storage, type=pa.int64()).cast(arrow_type)
    synthetic = _round_trip(array)
    assert synthetic.type == arrow_type
    assert _nulls(synthetic) == _nulls(array)
    real_valid = _valid(array.cast(pa.int64()))
    synthetic_valid = _valid(synthetic.cast(pa.int64()))
    if real_valid:
        assert min(real_valid) <= min(synthetic_valid)
        assert max(synthetic_valid) <= max(real_valid)
        assert all(v % multiple == 0 for v in synthetic_valid)


# -- granularity ------------------------------------------------------------------------------

def test_round_amounts_stay_round():
    rng = np.random.default_rng(4)
    array = pa.array(rng.integers(1, 2_000, 800) * 50)
    synthetic = _round_trip(array).to_numpy()
    assert np.all(synthetic % 10 == 0)
    assert np.mean(synthetic % 100 == 0) < 0.9  # multiples of 10, not coarser


@pytest.mark.parametrize("arrow_type, scale", [
    (pa.timestamp("s"), 1),
    (pa.timestamp("us", tz="Europe/London"), 1),
    (pa.timestamp("ms"), 1),
    (pa.uint32(), 1),
    (pa.int64(), 1),
])
def test_large_values_are_not_rounded_to_a_coarser_step(arrow_type, scale):
    """Values of ten or more digits (epoch seconds, microseconds, big ids) are whole numbers,
    not multiples of 10, 100 or 1000: the output keeps single units."""
    rng = np.random.default_rng(5)
    base = 1_500_000_000 if arrow_type != pa.timestamp("us", tz="Europe/London") else 1.5e15
    array = pa.array((base + rng.integers(0, 10**8, 1_000)).astype(np.int64)).cast(arrow_type)
    synthetic = _valid(_round_trip(array).cast(pa.int64()))
    assert np.mean(np.array(synthetic) % 10 == 0) < 0.5


def test_whole_minutes_in_a_nanosecond_column_stay_whole_minutes():
    rng = np.random.default_rng(6)
    minutes = 25_000_000 + rng.integers(0, 500_000, 1_000)
    array = pa.array(minutes * 60 * 10**9).cast(pa.timestamp("ns", tz="Europe/London"))
    model = _fit(array)
    assert model.unit == 60 * 10**9
    synthetic = np.array(_valid(_round_trip(array).cast(pa.int64())))
    assert np.all(synthetic % (60 * 10**9) == 0)
    assert np.mean(synthetic % (600 * 10**9) == 0) < 0.5


def test_float32_with_two_decimals_is_rounded_to_two_decimals():
    rng = np.random.default_rng(7)
    array = pa.array((rng.integers(0, 10_000, 800) / 100).astype(np.float32))
    model = _fit(array)
    assert model.step == pytest.approx(0.01)
    synthetic = _round_trip(array).to_numpy().astype(np.float64)
    assert np.allclose(np.round(synthetic, 2), synthetic, rtol=0, atol=1e-4)


def test_integers_beyond_float_precision_are_accepted():
    rng = np.random.default_rng(8)
    array = pa.array(rng.integers(2**60, 2**62, 500).astype(np.uint64), pa.uint64())
    synthetic = _round_trip(array)
    assert synthetic.type == pa.uint64()
    assert synthetic.null_count == 0


# -- codes and partitions ---------------------------------------------------------------------

def test_few_distinct_values_get_one_code_each():
    array = pa.array([1, 2, 2, 3, 3, 3, None] * 20)
    model = _fit(array)
    assert model.discrete
    assert model.n_codes == 2 + 2  # NULL, then one code per value: 1, 2, 3
    codes = model.encode(pa.chunked_array([array]))
    assert sorted(set(codes.tolist())) == [0, 1, 2, 3]
    assert _round_trip(array).to_pylist() == array.to_pylist()


def test_merging_partitions_equals_fitting_the_whole_column():
    """analyze per partition, reduce once: counts and units merge exactly."""
    seconds = np.arange(0, 200) * 60  # whole minutes
    whole = pa.chunked_array([pa.array(seconds).cast(pa.duration("s"))])
    halves = [whole.slice(0, 100), whole.slice(100)]
    rng = np.random.default_rng(0)
    merged = numeric.reduce([numeric.analyze(part, rng) for part in halves], 300)
    single = numeric.reduce([numeric.analyze(whole, rng)], 300)
    assert merged.unit == single.unit == 60
    assert np.array_equal(merged.grid, single.grid)
    assert np.array_equal(merged.cuts, single.cuts)


def test_partitions_with_different_units_merge_to_the_finer_unit():
    rng = np.random.default_rng(0)
    steps = np.arange(50, dtype=np.int32)
    hours = pa.chunked_array([pa.array(steps * 3600).cast(pa.time32("s"))])
    seconds = pa.chunked_array([pa.array(steps * 7 + 1).cast(pa.time32("s"))])
    merged = numeric.reduce([numeric.analyze(hours, rng), numeric.analyze(seconds, rng)], 300)
    assert merged.unit == 1
    assert 3600 * 40 in merged.grid  # hours rescaled to seconds (49 h is an extreme: clamped)


def test_encode_puts_values_in_quantile_bins_in_order():
    rng = np.random.default_rng(9)
    array = pa.array(rng.normal(size=2_000))
    model = _fit(array, n_bins=8)
    codes = model.encode(pa.chunked_array([array]))
    assert codes.min() >= 1 and codes.max() <= model.n_codes - 1
    counts = np.bincount(codes)[1:]
    assert counts.min() > 2_000 / 8 * 0.7  # quantile bins: about equal counts
    order = np.argsort(array.to_numpy())
    assert np.all(np.diff(codes[order]) >= 0)  # larger values, larger codes
