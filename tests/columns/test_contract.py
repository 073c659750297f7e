"""Every column kind through the same checks.

Each case is one real column. Its model is fitted with `lookalike.columns.fit_column`, the column
is encoded and decoded, and the output must keep the column's Arrow type, its nulls, its range,
its granularity (decimal places, whole numbers, whole seconds, ...), and the model must survive
`to_state` / `load_column` as a saved model would. A second set of checks runs the same cases
through a fitted `Synthesizer`, so the column models are also checked on generated rows.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lookalike import Synthesizer
from lookalike.columns import fit_column, load_column
from lookalike.columns.categorical import RARE_VALUE
from lookalike.metadata import KINDS, NUMERIC_KINDS, REPLACE_KINDS, detect_columns, is_string_type

N = 600
SECOND_NS = 10**9
DAY_MS = 86_400_000
EPOCH_2015_S = 1_420_070_400


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # the kind detection (with `options`) must give
    make: Callable[[np.random.Generator], pa.Array]
    options: dict[str, Any] = field(default_factory=dict)


def _with_nulls(rng: np.random.Generator, array: pa.Array, rate: float) -> pa.Array:
    mask = rng.random(len(array)) < rate
    return pa.array(array.to_pylist(), type=array.type, mask=mask)


def _decimals(rng: np.random.Generator) -> pa.Array:
    cents = rng.integers(1, 10**7, N)
    return pa.array([Decimal(int(c)).scaleb(-2) for c in cents], pa.decimal128(10, 2))


def _seconds_2015(rng: np.random.Generator) -> np.ndarray:
    return EPOCH_2015_S + rng.integers(0, 3 * 365 * 86_400, N)


def _strings(rng: np.random.Generator, values: list[str], p: list[float]) -> np.ndarray:
    return rng.choice(np.array(values, dtype=object), N, p=p)


def _unique_strings(rng: np.random.Generator) -> list[str]:
    return [f"customer-{i:05d}-{rng.integers(10**6)}" for i in range(N)]


TYPES = ["single", "multi", "parked", "theft"]
TYPE_P = [0.4, 0.35, 0.15, 0.1]

CASES = [
    Case("int64", "integer", lambda r: pa.array(r.integers(-5_000, 5_000, N))),
    Case("int8", "integer", lambda r: pa.array(r.integers(-128, 128, N), pa.int8())),
    Case("uint32_large", "integer", lambda r: pa.array(r.integers(0, 2**32, N), pa.uint32())),
    Case("int64_multiples_of_100", "integer", lambda r: pa.array(r.integers(0, 5_000, N) * 100)),
    Case("int64_counts_with_nulls", "integer",
         lambda r: _with_nulls(r, pa.array(r.poisson(3, N)), 0.2)),
    Case("float_2_decimals", "float", lambda r: pa.array(np.round(r.lognormal(5, 1, N), 2))),
    Case("float_whole_numbers", "float",
         lambda r: pa.array(r.integers(0, 5_000, N).astype(np.float64))),
    Case("float32", "float", lambda r: pa.array(r.normal(0, 1, N).astype(np.float32))),
    Case("float_with_nulls", "float",
         lambda r: _with_nulls(r, pa.array(np.round(r.normal(50, 10, N), 1)), 0.3)),
    Case("decimal128_10_2", "decimal", _decimals),
    Case("decimal_with_nulls", "decimal", lambda r: _with_nulls(r, _decimals(r), 0.1)),
    Case("date32", "date", lambda r: pa.array(r.integers(16_000, 19_000, N).astype(np.int32))
         .cast(pa.date32())),
    Case("date64", "date", lambda r: pa.array(r.integers(16_000, 19_000, N) * DAY_MS)
         .cast(pa.date64())),
    Case("time64_us", "time", lambda r: pa.array(r.integers(0, 86_400 * 10**6, N))
         .cast(pa.time64("us"))),
    Case("time32_s", "time", lambda r: pa.array(r.integers(0, 86_400, N).astype(np.int32))
         .cast(pa.time32("s"))),
    Case("timestamp_s", "timestamp", lambda r: pa.array(_seconds_2015(r))
         .cast(pa.timestamp("s"))),
    Case("timestamp_ms", "timestamp",
         lambda r: pa.array(_seconds_2015(r) * 1000 + r.integers(0, 1000, N))
         .cast(pa.timestamp("ms"))),
    Case("timestamp_us_london", "timestamp",
         lambda r: pa.array(_seconds_2015(r) * 10**6 + r.integers(0, 10**6, N))
         .cast(pa.timestamp("us", tz="Europe/London"))),
    Case("timestamp_ns_whole_seconds", "timestamp",
         lambda r: pa.array(_seconds_2015(r) * SECOND_NS).cast(pa.timestamp("ns"))),
    Case("timestamp_ns_london_whole_minutes", "timestamp",
         lambda r: pa.array((_seconds_2015(r) // 60) * 60 * SECOND_NS)
         .cast(pa.timestamp("ns", tz="Europe/London"))),
    Case("timestamp_with_nulls", "timestamp",
         lambda r: _with_nulls(r, pa.array(_seconds_2015(r)).cast(pa.timestamp("s")), 0.25)),
    Case("duration_ms", "duration", lambda r: pa.array(r.integers(0, 10**8, N))
         .cast(pa.duration("ms"))),
    Case("boolean", "boolean", lambda r: pa.array(r.random(N) < 0.3)),
    Case("boolean_with_nulls", "boolean",
         lambda r: _with_nulls(r, pa.array(r.random(N) < 0.7), 0.15)),
    Case("categorical_string", "categorical", lambda r: pa.array(_strings(r, TYPES, TYPE_P))),
    Case("categorical_with_nulls", "categorical",
         lambda r: _with_nulls(r, pa.array(_strings(r, TYPES, TYPE_P)), 0.2)),
    Case("categorical_large_string", "categorical",
         lambda r: pa.array(_strings(r, TYPES, TYPE_P), pa.large_string())),
    Case("categorical_dictionary", "categorical",
         lambda r: pa.array(_strings(r, TYPES, TYPE_P)).dictionary_encode()),
    Case("categorical_integer_codes", "categorical",
         lambda r: pa.array(r.integers(1, 6, N)), {"kind": "categorical"}),
    *[
        Case(f"text_{replace}", "text", lambda r: pa.array(_unique_strings(r)),
             {} if replace == "redact" else {"replace": replace})
        for replace in REPLACE_KINDS
    ],
    Case("text_dictionary", "text", lambda r: pa.array(_unique_strings(r)).dictionary_encode()),
    Case("text_with_nulls", "text",
         lambda r: _with_nulls(r, pa.array(_unique_strings(r)), 0.2), {"replace": "email"}),
    Case("all_null_float", "float", lambda r: pa.nulls(N, pa.float64())),
    Case("all_null_timestamp", "timestamp", lambda r: pa.nulls(N, pa.timestamp("us"))),
    Case("all_null_string", "categorical", lambda r: pa.nulls(N, pa.string())),
    Case("null_type", "null", lambda r: pa.nulls(N)),
    Case("list_declared_null", "null",
         lambda r: pa.array([[int(v)] for v in r.integers(9, size=N)]), {"kind": "null"}),
]
CASE_IDS = [case.id for case in CASES]


def _real(case: Case) -> pa.ChunkedArray:
    seed = sum(map(ord, case.id))  # every case its own data, the same on every run
    return pa.chunked_array([case.make(np.random.default_rng(seed))])


def _fit(case: Case, real: pa.ChunkedArray):
    spec = detect_columns(pa.table({case.id: real}), {case.id: case.options})[0]
    model = fit_column(spec, [real], n_bins=32, rare_threshold=5,
                       rng=np.random.default_rng(1))
    return spec, model


# -- what the checks compare ------------------------------------------------------------------

def _is_null(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return array.is_null().to_numpy(zero_copy_only=False)


def _numbers(array: pa.Array | pa.ChunkedArray) -> list[int] | list[float]:
    """Valid values on a number line, exactly: storage integers for temporal types, integers of
    the smallest unit for decimals, floats for floats."""
    array = pc.drop_null(array)
    arrow_type = array.type
    if pa.types.is_decimal(arrow_type):
        return [int(value.scaleb(arrow_type.scale)) for value in array.to_pylist()]
    if pa.types.is_date32(arrow_type) or pa.types.is_time32(arrow_type):
        return array.cast(pa.int32()).to_pylist()
    if pa.types.is_temporal(arrow_type):
        return array.cast(pa.int64()).to_pylist()
    return array.to_pylist()


def _granularity(integers: list[int]) -> int:
    """The largest power of ten that divides every value."""
    step = 1
    while step < 10**18 and all(value % (step * 10) == 0 for value in integers):
        step *= 10
    return step


def _decimal_places(values: np.ndarray) -> int | None:
    """The fewest decimal places that write every value; None for more than 6."""
    for places in range(7):
        if np.allclose(np.round(values, places), values, rtol=0, atol=1e-9):
            return places
    return None


def check_numeric(real: pa.ChunkedArray, synthetic: pa.Array) -> None:
    """Within the real range, at the real granularity."""
    real_values, synthetic_values = _numbers(real), _numbers(synthetic)
    if not real_values:
        assert not synthetic_values
        return
    assert min(real_values) <= min(synthetic_values)
    assert max(synthetic_values) <= max(real_values)
    if pa.types.is_floating(real.type):
        real_places = _decimal_places(np.array(real_values))
        if real_places is not None:
            assert _decimal_places(np.array(synthetic_values)) == real_places
    else:
        assert _granularity(synthetic_values) == _granularity(real_values)


def check_categorical(real: pa.ChunkedArray, synthetic: pa.Array) -> None:
    """Real categories only (or the rare-value marker for strings)."""
    allowed = set(pc.drop_null(real).to_pylist())
    if is_string_type(real.type):
        allowed.add(RARE_VALUE)
    assert set(pc.drop_null(synthetic).to_pylist()) <= allowed


def check_text(real: pa.ChunkedArray, synthetic: pa.Array, replace: str, pattern: str) -> None:
    """Fakes of the requested kind, and never a real value."""
    values = pc.drop_null(synthetic).to_pylist()
    assert all(re.fullmatch(pattern, value) for value in values), values[:5]
    assert not set(values) & set(pc.drop_null(real).to_pylist())


def check_values(kind: str, replace: str | None, real: pa.ChunkedArray, synthetic: pa.Array,
                 patterns: dict[str, str]) -> None:
    if kind in NUMERIC_KINDS:
        check_numeric(real, synthetic)
    elif kind in ("categorical", "boolean"):
        check_categorical(real, synthetic)
    elif kind == "text":
        check_text(real, synthetic, replace, patterns[replace])
    else:
        assert synthetic.null_count == len(synthetic)


# -- the contract -----------------------------------------------------------------------------

def test_every_kind_has_a_contract_case():
    assert {case.kind for case in CASES} == set(KINDS)
    assert {case.options.get("replace", "redact") for case in CASES
            if case.kind == "text"} == set(REPLACE_KINDS)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_kind_is_detected(case):
    spec, _ = _fit(case, _real(case))
    assert spec.kind == case.kind


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_encode_gives_codes_with_null_as_zero(case):
    real = _real(case)
    _, model = _fit(case, real)
    codes = model.encode(real)
    assert codes.shape == (len(real),)
    assert np.issubdtype(codes.dtype, np.integer)
    assert codes.min() >= 0 and codes.max() < model.n_codes
    if case.kind == "null":
        assert model.n_codes == 1 and not codes.any()
    else:
        assert np.array_equal(codes == 0, _is_null(real))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_decode_keeps_type_nulls_range_and_granularity(case, fake_patterns):
    real = _real(case)
    spec, model = _fit(case, real)
    synthetic = model.decode(model.encode(real), real.type, np.random.default_rng(2))
    assert synthetic.type == real.type
    assert len(synthetic) == len(real)
    if case.kind == "null":
        assert synthetic.null_count == len(real)
    else:
        assert np.array_equal(_is_null(synthetic), _is_null(real))
    check_values(spec.kind, spec.replace, real, synthetic, fake_patterns)


@pytest.mark.parametrize("case", [c for c in CASES if c.kind in ("categorical", "boolean")],
                         ids=[c.id for c in CASES if c.kind in ("categorical", "boolean")])
def test_decode_of_encode_is_identity_for_frequent_categories(case):
    real = _real(case)
    _, model = _fit(case, real)
    synthetic = model.decode(model.encode(real), real.type, np.random.default_rng(2))
    assert synthetic.to_pylist() == real.to_pylist()


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_state_round_trip_gives_the_same_model(case):
    """What `save` writes: a JSON-able state and plain (unpickled) arrays."""
    real = _real(case)
    spec, model = _fit(case, real)
    state, arrays = model.to_state()
    state = json.loads(json.dumps(state))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as saved:
        arrays = {name: saved[name] for name in saved.files}
    loaded = load_column(spec, real.type, state, arrays)
    assert loaded.n_codes == model.n_codes
    codes = model.encode(real)
    assert np.array_equal(loaded.encode(real), codes)
    synthetic = model.decode(codes, real.type, np.random.default_rng(3))
    assert loaded.decode(codes, real.type, np.random.default_rng(3)).equals(synthetic)


# -- the same cases through a fitted Synthesizer ----------------------------------------------

SYNTHETIC_ROWS = 3_000


@pytest.fixture(scope="module")
def fitted():
    real = pa.table({case.id: _real(case) for case in CASES})
    options = {case.id: case.options for case in CASES if case.options}
    model = Synthesizer(random_state=5, columns=options).fit(real)
    return real, model, model.sample(SYNTHETIC_ROWS)


def test_synthesizer_keeps_the_schema(fitted):
    real, _, synthetic = fitted
    assert synthetic.schema.equals(real.schema, check_metadata=True)
    assert synthetic.num_rows == SYNTHETIC_ROWS


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_synthesized_column_keeps_null_rate_range_and_granularity(case, fitted, fake_patterns):
    real_table, model, synthetic_table = fitted
    real, synthetic = real_table.column(case.id), synthetic_table.column(case.id)
    spec = next(spec for spec in model.columns_ if spec.name == case.id)
    assert spec.kind == case.kind
    if case.kind == "null":
        assert synthetic.null_count == SYNTHETIC_ROWS
        return
    real_rate = real.null_count / len(real)
    assert synthetic.null_count / SYNTHETIC_ROWS == pytest.approx(real_rate, abs=0.04)
    check_values(spec.kind, spec.replace, real, synthetic.combine_chunks(), fake_patterns)


@pytest.mark.parametrize("case", [c for c in CASES if c.kind in NUMERIC_KINDS],
                         ids=[c.id for c in CASES if c.kind in NUMERIC_KINDS])
def test_synthesized_numeric_column_follows_the_real_distribution(case, fitted):
    real_table, _, synthetic_table = fitted
    real = np.array(_numbers(real_table.column(case.id)), dtype=np.float64)
    synthetic = np.array(_numbers(synthetic_table.column(case.id)), dtype=np.float64)
    if real.size == 0:
        return
    assert _ks_statistic(real, synthetic) < 0.08


@pytest.mark.parametrize("case", [c for c in CASES if c.kind in ("categorical", "boolean")],
                         ids=[c.id for c in CASES if c.kind in ("categorical", "boolean")])
def test_synthesized_categories_keep_their_frequencies(case, fitted):
    real_table, _, synthetic_table = fitted
    real = _shares(real_table.column(case.id))
    synthetic = _shares(synthetic_table.column(case.id))
    if not real:
        assert not synthetic
        return
    assert _total_variation(real, synthetic) < 0.05


def _ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    points = np.union1d(a, b)
    cdf_a = np.searchsorted(np.sort(a), points, side="right") / len(a)
    cdf_b = np.searchsorted(np.sort(b), points, side="right") / len(b)
    return float(np.abs(cdf_a - cdf_b).max())


def _shares(column: pa.ChunkedArray) -> dict[Any, float]:
    """Each valid value's share of the valid values."""
    values = pc.drop_null(column).to_pylist()
    unique, counts = np.unique(np.array(values, dtype=object), return_counts=True)
    return {value: count / len(values) for value, count in zip(unique, counts, strict=True)}


def _total_variation(a: dict[Any, float], b: dict[Any, float]) -> float:
    return 0.5 * sum(abs(a.get(key, 0.0) - b.get(key, 0.0)) for key in a.keys() | b.keys())
