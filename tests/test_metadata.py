"""Column kinds: detection from types and data, per-column overrides, and validation errors with
their exact text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from lookalike.errors import (
    InvalidOptionError,
    LookalikeError,
    UnknownColumnError,
    UnsupportedTypeError,
)
from lookalike.metadata import KINDS, REPLACE_KINDS, ColumnSpec, detect_columns, physical_kind

ALL_KINDS = ", ".join(KINDS)
ALL_REPLACE = ", ".join(REPLACE_KINDS)


def _kinds(table: pa.Table, overrides=None) -> dict[str, tuple[str, str | None]]:
    return {spec.name: (spec.kind, spec.replace) for spec in detect_columns(table, overrides)}


def _strings(distinct: int, rows: int) -> pa.Array:
    return pa.array([f"value {i % distinct}" for i in range(rows)])


@pytest.fixture
def table() -> pa.Table:
    """20 rows: an integer, a float, a low- and a high-cardinality string, and a list."""
    return pa.table({
        "amount": pa.array(range(20)),
        "rate": pa.array([i / 4 for i in range(20)]),
        "colour": _strings(3, 20),
        "email": _strings(20, 20),
        "tags": pa.array([[i, i + 1] for i in range(20)]),
    })


def _fails(table: pa.Table, overrides) -> LookalikeError:
    with pytest.raises(LookalikeError) as caught:
        detect_columns(table, overrides)
    return caught.value


def _supported(table: pa.Table) -> pa.Table:
    return table.drop_columns(["tags"])


# -- detection --------------------------------------------------------------------------------

@pytest.mark.parametrize("arrow_type, kind", [
    (pa.bool_(), "boolean"),
    (pa.int8(), "integer"), (pa.uint64(), "integer"),
    (pa.float16(), "float"), (pa.float32(), "float"), (pa.float64(), "float"),
    (pa.decimal128(10, 2), "decimal"), (pa.decimal256(40, 4), "decimal"),
    (pa.date32(), "date"), (pa.date64(), "date"),
    (pa.time32("s"), "time"), (pa.time64("ns"), "time"),
    (pa.timestamp("s"), "timestamp"), (pa.timestamp("ns", tz="Europe/London"), "timestamp"),
    (pa.duration("us"), "duration"),
    (pa.string(), "categorical"), (pa.large_string(), "categorical"),
    (pa.dictionary(pa.int32(), pa.string()), "categorical"),
    (pa.null(), "null"),
    (pa.binary(), None), (pa.list_(pa.int64()), None), (pa.struct([("a", pa.int8())]), None),
    (pa.dictionary(pa.int32(), pa.int64()), None),
])
def test_physical_kind(arrow_type, kind):
    assert physical_kind(arrow_type) == kind


def test_kinds_detected_from_a_table():
    table = pa.table({
        "flag": [True, False] * 10,
        "count": pa.array(range(20), pa.int16()),
        "price": pa.array([Decimal("1.25")] * 20, pa.decimal128(6, 2)),
        "day": [dt.date(2024, 1, 1 + i) for i in range(20)],
        "at": pa.array(range(20), pa.int64()).cast(pa.timestamp("ms", tz="Europe/London")),
        "nothing": pa.nulls(20),
    })
    assert _kinds(table) == {
        "flag": ("boolean", None), "count": ("integer", None), "price": ("decimal", None),
        "day": ("date", None), "at": ("timestamp", None), "nothing": ("null", None),
    }


@pytest.mark.parametrize("distinct, kind, replace", [
    (1, "categorical", None),
    (9, "categorical", None),  # fewer distinct values than half the 20 rows
    (10, "text", "redact"),  # exactly half: not fewer
    (20, "text", "redact"),
])
def test_string_kind_follows_the_half_row_count_rule(distinct, kind, replace):
    table = pa.table({"s": _strings(distinct, 20)})
    assert _kinds(table) == {"s": (kind, replace)}
    encoded = pa.table({"s": _strings(distinct, 20).dictionary_encode()})
    assert _kinds(encoded) == {"s": (kind, replace)}


def test_nulls_count_as_rows_not_as_values():
    """9 distinct values in 12 rows with 8 NULLs: 9 < 20 / 2, so categorical."""
    values = [f"v{i}" for i in range(9)] + ["v0"] * 3 + [None] * 8
    assert _kinds(pa.table({"s": values})) == {"s": ("categorical", None)}


def test_all_null_string_column_is_categorical():
    assert _kinds(pa.table({"s": pa.nulls(30, pa.string())})) == {"s": ("categorical", None)}


# -- overrides --------------------------------------------------------------------------------

@pytest.mark.parametrize("column, options, expected", [
    ("email", {"categorical": True}, ("categorical", None)),
    ("colour", {"categorical": False}, ("text", "redact")),
    ("colour", {"kind": "text"}, ("text", "redact")),
    ("email", {"kind": "categorical"}, ("categorical", None)),
    ("email", {"replace": "email"}, ("text", "email")),
    ("colour", {"replace": "uuid"}, ("text", "uuid")),  # replace makes a category column text
    ("colour", {"categorical": False, "replace": "name"}, ("text", "name")),
    ("email", {"kind": "text", "replace": "ssn"}, ("text", "ssn")),
    ("amount", {"kind": "categorical"}, ("categorical", None)),
    ("amount", {"kind": "integer"}, ("integer", None)),
    ("amount", {"kind": "null"}, ("null", None)),
    ("rate", {"kind": "null"}, ("null", None)),
    ("email", {}, ("text", "redact")),
])
def test_overrides(table, column, options, expected):
    assert _kinds(_supported(table), {column: options})[column] == expected


def test_an_unsupported_column_declared_null(table):
    assert _kinds(table, {"tags": {"kind": "null"}})["tags"] == ("null", None)


def test_booleans_may_be_declared_categorical():
    table = pa.table({"flag": [True, False] * 10})
    assert _kinds(table, {"flag": {"kind": "categorical"}}) == {"flag": ("categorical", None)}


def test_overrides_leave_other_columns_alone(table):
    assert _kinds(_supported(table), {"colour": {"kind": "text"}}) == {
        "amount": ("integer", None), "rate": ("float", None), "colour": ("text", "redact"),
        "email": ("text", "redact"),
    }


def test_column_spec_round_trips_through_a_dict():
    for spec in (ColumnSpec("a", "text", "email"), ColumnSpec("b", "integer")):
        assert ColumnSpec.from_dict(spec.to_dict()) == spec
    assert ColumnSpec("b", "integer").to_dict() == {"name": "b", "kind": "integer"}


# -- errors, with their exact text ------------------------------------------------------------

@pytest.mark.parametrize("overrides, error_type, message", [
    (
        {"colur": {"kind": "text"}}, UnknownColumnError,
        ("no column 'colur' in the table (did you mean 'colour'?) "
        "(columns: amount, rate, colour, email)"),
    ),
    (
        {"zzz": {}}, UnknownColumnError,
        "no column 'zzz' in the table (columns: amount, rate, colour, email)",
    ),
    (
        {"colour": {"kindd": "text"}}, InvalidOptionError,
        "column 'colour': unknown option 'kindd' (did you mean 'kind'?)",
    ),
    (
        {"colour": {"privacy": "high"}}, InvalidOptionError,
        "column 'colour': unknown option 'privacy'",
    ),
    (
        {"colour": {"labels": "red,green"}}, InvalidOptionError,
        "column 'colour': labels must be a list of strings, not 'red,green'",
    ),
    (
        {"amount": {"labels": ["1", "2"]}}, InvalidOptionError,
        "column 'amount': labels apply to categorical string columns, and this column is integer",
    ),
    (
        {"colour": {"kind": "txt"}}, InvalidOptionError,
        f"column 'colour': kind 'txt' is not one of {ALL_KINDS} (did you mean 'text'?)",
    ),
    (
        {"amount": {"kind": "text"}}, InvalidOptionError,
        "column 'amount': kind 'text' does not fit its type int64",
    ),
    (
        {"colour": {"kind": "integer"}}, InvalidOptionError,
        "column 'colour': kind 'integer' does not fit its type string",
    ),
    (
        {"rate": {"kind": "categorical"}}, InvalidOptionError,
        "column 'rate': kind 'categorical' does not fit its type double",
    ),
    (
        {"amount": {"categorical": True}}, InvalidOptionError,
        ("column 'amount': categorical applies to string columns only, and this column has "
        "type int64"),
    ),
    (
        {"colour": {"categorical": "yes"}}, InvalidOptionError,
        "column 'colour': categorical must be true or false, not 'yes'",
    ),
    (
        {"email": {"replace": "phnoe"}}, InvalidOptionError,
        (f"column 'email': replace 'phnoe' is not one of {ALL_REPLACE} "
        f"(did you mean 'phone'?)"),
    ),
    (
        {"email": {"replace": "credit_card"}}, InvalidOptionError,
        f"column 'email': replace 'credit_card' is not one of {ALL_REPLACE}",
    ),
    (
        {"rate": {"replace": "email"}}, InvalidOptionError,
        "column 'rate': replace applies to string columns only, and this column has type double",
    ),
    (
        {"email": {"categorical": True, "replace": "email"}}, InvalidOptionError,
        "column 'email': replace 'email' contradicts categorical: true",
    ),
    (
        {"email": {"kind": "categorical", "replace": "email"}}, InvalidOptionError,
        "column 'email': replace 'email' contradicts kind 'categorical'",
    ),
    (
        {"email": {"kind": "null", "replace": "email"}}, InvalidOptionError,
        "column 'email': replace 'email' contradicts kind 'null'",
    ),
    (
        {"colour": {"kind": "text", "categorical": True}}, InvalidOptionError,
        "column 'colour': kind 'text' contradicts categorical: true",
    ),
    (
        {"colour": {"kind": "categorical", "categorical": False}}, InvalidOptionError,
        "column 'colour': kind 'categorical' contradicts categorical: false",
    ),
    (
        {"colour": "text"}, InvalidOptionError,
        "column 'colour': options must be a mapping such as {'kind': 'text'}, not 'text'",
    ),
])
def test_each_problem_has_an_exact_message(table, overrides, error_type, message):
    error = _fails(_supported(table), overrides)
    assert type(error) is error_type
    assert str(error) == message


def test_an_unsupported_type_names_the_column_and_the_type(table):
    error = _fails(table, None)
    assert type(error) is UnsupportedTypeError
    assert str(error) == (
        "column 'tags' has type list<item: int64>, which lookalike cannot synthesise; drop it "
        "or set its kind to 'null' to output NULL in every row"
    )


@pytest.mark.parametrize("arrow_type, shown", [
    (pa.binary(), "binary"),
    (pa.struct([("a", pa.int8())]), "struct<a: int8>"),
    (pa.dictionary(pa.int8(), pa.int64()), "dictionary<values=int64, indices=int8, ordered=0>"),
])
def test_other_unsupported_types(arrow_type, shown):
    table = pa.table({"x": pa.nulls(3, arrow_type)})
    error = _fails(table, None)
    assert type(error) is UnsupportedTypeError
    assert str(error).startswith(f"column 'x' has type {shown}, which lookalike cannot")


def test_several_problems_are_reported_at_once(table):
    error = _fails(table, {
        "colur": {"kind": "text"},
        "amount": {"kind": "text"},
        "email": {"replace": "phnoe", "kindd": "text"},
    })
    assert type(error) is InvalidOptionError
    assert str(error) == (
        "5 problems:\n"
        "  - no column 'colur' in the table (did you mean 'colour'?) "
        "(columns: amount, rate, colour, email, tags)\n"
        "  - column 'amount': kind 'text' does not fit its type int64\n"
        "  - column 'email': unknown option 'kindd' (did you mean 'kind'?)\n"
        f"  - column 'email': replace 'phnoe' is not one of {ALL_REPLACE} "
        "(did you mean 'phone'?)\n"
        "  - column 'tags' has type list<item: int64>, which lookalike cannot synthesise; drop "
        "it or set its kind to 'null' to output NULL in every row"
    )


def test_several_problems_of_one_type_keep_that_type(table):
    error = _fails(_supported(table), {"colur": {}, "emial": {}})
    assert type(error) is UnknownColumnError
    assert str(error) == (
        "2 problems:\n"
        "  - no column 'colur' in the table (did you mean 'colour'?) "
        "(columns: amount, rate, colour, email)\n"
        "  - no column 'emial' in the table (did you mean 'email'?) "
        "(columns: amount, rate, colour, email)"
    )


def test_errors_are_also_builtin_errors(table):
    """Callers that catch the builtin errors keep working."""
    with pytest.raises(KeyError):
        detect_columns(_supported(table), {"colur": {}})
    with pytest.raises(ValueError):
        detect_columns(_supported(table), {"amount": {"kind": "text"}})
    with pytest.raises(TypeError):
        detect_columns(table)
