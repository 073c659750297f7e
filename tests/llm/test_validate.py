"""Every answer is parsed, coerced to the column's type, and checked for NULLs and allowed values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from lookalike.llm.schema import ColumnSchema, TableSchema, parse_sql_type
from lookalike.llm.validate import coerce_row, coerce_value, parse_answer

UTC = dt.UTC
GOOD = [
    ("INTEGER", 42, 42), ("INTEGER", "42", 42), ("INTEGER", 42.0, 42), ("TINYINT", -128, -128),
    ("UBIGINT", 2**64 - 1, 2**64 - 1), ("DOUBLE", 1.5, 1.5), ("DOUBLE", "2e3", 2000.0),
    ("FLOAT", 3, 3.0), ("DECIMAL(6,2)", 12.345, Decimal("12.34")),
    ("DECIMAL(6,2)", "1234.5", Decimal("1234.50")), ("BOOLEAN", True, True),
    ("BOOLEAN", "false", False), ("BOOLEAN", 1, True),
    ("DATE", "2014-10-17", dt.date(2014, 10, 17)), ("TIME", "23:59:01", dt.time(23, 59, 1)),
    ("TIMESTAMP", "2020-01-02 03:04:05", dt.datetime(2020, 1, 2, 3, 4, 5)),
    ("TIMESTAMP", "2020-01-02T03:04:05+01:00", dt.datetime(2020, 1, 2, 2, 4, 5)),
    ("TIMESTAMPTZ", "2020-01-02T03:04:05Z", dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("VARCHAR", "Ada", "Ada"), ("VARCHAR", 7, "7"), ("VARCHAR(3)", "abc", "abc"),
    ("UUID", "0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5b-d9cb-469f-a165-70867728950e"),
]
BAD = [
    ("INTEGER", 1.5, "has a fraction"), ("INTEGER", "4x", "not an integer"),
    ("INTEGER", True, "a boolean is not a number"), ("TINYINT", 128, "out of range"),
    ("UINTEGER", -1, "out of range"), ("DOUBLE", "abc", "not a number"),
    ("DOUBLE", [1], "not a number"), ("FLOAT", 1e39, "out of range"),
    ("DECIMAL(4,2)", 123.4, "more than 2 digits before the point"),
    ("BOOLEAN", "yes", "not true or false"), ("DATE", "2021-02-30", "day is out of range"),
    ("DATE", "2020-01-02 03:04:05", "Invalid isoformat"), ("DATE", 20200102, "expected a string"),
    ("TIME", "25:00:00", "hour must be in"), ("TIMESTAMP", "yesterday", "Invalid isoformat"),
    ("VARCHAR", {"a": 1}, "a dict is not text"), ("VARCHAR(3)", "abcd", "longer than 3"),
    ("UUID", "not-a-uuid", "8-4-4-4-12"),
]


@pytest.mark.parametrize("sql, value, expected", GOOD)
def test_good_values_are_coerced(sql, value, expected):
    result, problem = coerce_value(ColumnSchema("c", parse_sql_type(sql)), value)
    assert problem is None
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("sql, value, reason", BAD)
def test_bad_values_are_rejected_with_a_reason(sql, value, reason):
    result, problem = coerce_value(ColumnSchema("c", parse_sql_type(sql)), value)
    assert result is None
    assert reason in problem and f"is not a {parse_sql_type(sql)}" in problem


def test_nulls_and_allowed_values():
    sex = ColumnSchema("SEX", parse_sql_type("VARCHAR"), values=("F", "M"))
    assert coerce_value(sex, "F") == ("F", None)
    assert coerce_value(sex, "X") == (None, '"X" is not one of the allowed values')
    assert coerce_value(sex, None) == (None, "NULL, but the column is NOT NULL")
    nullable = ColumnSchema("SEX", parse_sql_type("VARCHAR"), nullable=True, values=("F", "M"))
    assert coerce_value(nullable, None) == (None, None)


SCHEMA = TableSchema((ColumnSchema("id", parse_sql_type("INT")),
                      ColumnSchema("name", parse_sql_type("TEXT"), nullable=True)))


def test_rows_collect_every_problem():
    assert coerce_row(SCHEMA, {"id": "3", "name": "x"}) == ((3, "x"), [])
    assert coerce_row(SCHEMA, {"id": 3}) == ((3, None), [])  # a missing nullable column is NULL
    row, problems = coerce_row(SCHEMA, {"name": 5.5, "extra": 1})
    assert row is None
    assert problems == ["unknown column 'extra'", "column 'id': missing"]
    assert coerce_row(SCHEMA, [1, "x"]) == (None, ["a row must be a JSON object, not [1, \"x\"]"])


@pytest.mark.parametrize("text, count", [
    ('{"rows": [{"id": 1}, {"id": 2}]}', 2),
    ('[{"id": 1}]', 1),
    ('{"id": 1}', 1),
    ('```json\n{"rows": [{"id": 1}]}\n```', 1),
    ('{"id": 1}\n{"id": 2},\n{"id": 3}', 3),
])
def test_answers_in_usual_shapes_parse(text, count):
    rows, problem = parse_answer(text)
    assert problem is None and len(rows) == count


@pytest.mark.parametrize("text, problem", [
    ("Sure! Here are rows:", "the answer is not valid JSON"),
    ('{"rows": [{"id": 1}', "the answer is not valid JSON"),
    ("42", "neither a list of rows"),
])
def test_unusable_answers_say_why(text, problem):
    rows, found = parse_answer(text)
    assert rows == [] and problem in found
