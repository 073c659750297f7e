"""The generation loop: invalid rows retried, duplicates and copies of examples dropped, the
requested count met, a bounded number of failures. A scripted backend answers."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from lookalike.llm import GenerationError, generate_rows
from lookalike.llm.schema import ColumnSchema, TableSchema, parse_sql_type

SCHEMA = TableSchema((ColumnSchema("id", parse_sql_type("INTEGER")),
                      ColumnSchema("tier", parse_sql_type("VARCHAR"), values=("gold", "silver")),
                      ColumnSchema("day", parse_sql_type("DATE"), nullable=True)))


class Scripted:
    """Answers from a list, one per call; records what it was asked."""

    hosted = True

    def __init__(self, answers):
        self.answers, self.requests = list(answers), []

    def complete(self, messages, *, json_schema=None, temperature=1.0, max_tokens=None,
                 seed=None):
        self.requests.append({"messages": messages, "schema": json_schema})
        return self.answers.pop(0)


def rows(*items):
    return json.dumps({"rows": [dict(zip(("id", "tier", "day"), item)) for item in items]})


def test_invalid_rows_are_retried_and_never_written():
    backend = Scripted([
        rows((1, "gold", "2020-01-01"), (2, "bronze", None), ("x", "gold", None)),
        "I cannot do that",
        rows((1, "gold", "2020-01-01"), (3, "silver", "2020-02-30"), (4, "silver", None)),
        rows((5, "gold", None)),
    ])
    result = generate_rows(SCHEMA, 3, backend=backend, batch_size=3, seed=1)
    assert result.table.to_pylist() == [
        {"id": 1, "tier": "gold", "day": pa.scalar("2020-01-01").cast(pa.date32()).as_py()},
        {"id": 4, "tier": "silver", "day": None}, {"id": 5, "tier": "gold", "day": None}]
    assert result.table.schema == SCHEMA.arrow_schema()
    report = result.report
    assert (report.calls, report.candidates, report.invalid, report.duplicates) == (4, 7, 3, 1)
    assert report.validity == pytest.approx(4 / 7)
    assert "column 'tier': \"bronze\" is not one of the allowed values" in report.problems
    # each call asks only for the rows still missing
    asked = [r["schema"]["properties"]["rows"]["minItems"] for r in backend.requests]
    assert asked == [3, 2, 2, 1]


def test_copies_of_example_rows_are_dropped():
    example = {"id": 1, "tier": "gold", "day": None}
    backend = Scripted([rows((1, "gold", None), (2, "gold", None))])
    result = generate_rows(SCHEMA, 1, backend=backend, examples=[example])
    assert result.table.column("id").to_pylist() == [2]
    assert json.dumps(example) in backend.requests[0]["messages"][-1]["content"]


def test_a_model_that_keeps_failing_stops_after_bounded_tries():
    backend = Scripted(["not json"] * 3)
    with pytest.raises(GenerationError, match=r"answered 3 times in a row without a new valid "
                                              r"row; stopped with 0 of 2 rows .* the answer is "
                                              r"not valid JSON"):
        generate_rows(SCHEMA, 2, backend=backend, max_failures=3)


def test_too_few_distinct_rows_is_explained():
    backend = Scripted([rows((1, "gold", None))] * 4)
    with pytest.raises(GenerationError, match="every row it wrote was a duplicate"):
        generate_rows(SCHEMA, 2, backend=backend, max_failures=3)


def test_zero_rows_is_an_empty_table_of_the_schema():
    result = generate_rows(SCHEMA, 0, backend=Scripted([]))
    assert result.table.num_rows == 0 and result.table.schema == SCHEMA.arrow_schema()
