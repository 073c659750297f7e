"""The constrained decoder, without a model: whatever allowed token a "model" picks, every row
it finishes is valid. A random chooser over a small vocabulary stands in for the model."""

from __future__ import annotations

import json
import string

import numpy as np
import pytest

from lookalike.llm.decoder import (
    RowWriter,
    Vocabulary,
    integer_machine,
    number_machine,
    plan_from_json_schema,
)
from lookalike.llm.schema import ColumnSchema, TableSchema, parse_sql_type, response_json_schema
from lookalike.llm.validate import coerce_row, parse_answer

PIECES = [*string.printable[:95], ' "', '",', '"}', '":', '{"', "null", " null", "true",
          " true", "false", "20", "19", "-0", "00", "12", "ab", "Hello", " world", ", ", "}\n",
          "\n", "ID", "NAME", "WHEN", "AT", "OK", "PRICE", "SIZE", "TIER", "TIME", "UID",
          "gold", "silver", "e"]


def tokenizer(vocabulary: Vocabulary):
    """Greedy longest match, as a stand-in for a real tokenizer."""
    longest = max(map(len, vocabulary.ids_by_text))

    def tokenize(text: str) -> tuple[int, ...]:
        ids, at = [], 0
        while at < len(text):
            for size in range(min(longest, len(text) - at), 0, -1):
                if text[at:at + size] in vocabulary.ids_by_text:
                    ids.append(vocabulary.ids_by_text[text[at:at + size]][0])
                    at += size
                    break
            else:
                raise ValueError(f"cannot tokenize {text[at:]!r}")
        return tuple(ids)
    return tokenize


SCHEMA = TableSchema(tuple(ColumnSchema(name, parse_sql_type(sql), nullable, values) for
                           name, sql, nullable, values in [
    ("ID", "BIGINT", False, None), ("NAME", "VARCHAR(12)", True, None),
    ("WHEN", "DATE", False, None), ("AT", "TIMESTAMP", True, None), ("OK", "BOOLEAN", False, None),
    ("PRICE", "DECIMAL(8,2)", False, None), ("SIZE", "DOUBLE", True, None),
    ("TIER", "VARCHAR", False, ("gold", "silver")), ("TIME", "TIME", False, None),
    ("UID", "UUID", True, None)]))


@pytest.mark.parametrize("seed", range(5))
def test_any_allowed_choice_finishes_parseable_rows(seed):
    vocabulary = Vocabulary([None, *PIECES])  # id 0: a special token, never allowed
    plan = plan_from_json_schema(response_json_schema(SCHEMA, 20))
    writer = RowWriter(plan, vocabulary, tokenizer(vocabulary))
    rng = np.random.default_rng(seed)
    for _ in range(20_000):
        if writer.forced:
            writer.forced.pop(0)
            continue
        step = writer.next_step()
        ids = step.ids
        if step.free_text is not None:
            fits = vocabulary.text_ids[vocabulary.text_lengths <= step.free_text]
            ids = np.union1d(ids, fits)
        assert ids.size, f"stuck at {writer.row + writer.value!r}"
        writer.advance(int(rng.choice(ids)))
        if len(writer.rows) == plan.rows:
            break
    rows, problem = parse_answer(plan.answer(writer.rows))
    assert problem is None and len(rows) == 20
    for row in rows:
        assert coerce_row(SCHEMA, row)[1] == [], row


def test_rows_are_json_lines_with_the_schema_keys():
    vocabulary = Vocabulary([None, *PIECES])
    plan = plan_from_json_schema(response_json_schema(SCHEMA, 1))
    assert plan.skeletons[0] == '{"ID":' and plan.skeletons[-1] == "}\n"
    assert json.loads(plan.answer(['{"ID": 1}\n'])) == {"rows": [{"ID": 1}]}
    assert RowWriter(plan, vocabulary, tokenizer(vocabulary)).forced  # the skeleton comes first


def test_number_languages():
    integer = integer_machine(3, negative=True)
    assert integer.is_complete(" -12") and integer.is_prefix(" -") and not integer.is_prefix(" 01")
    assert not integer.is_prefix(" 1234")
    number = number_machine(4, 2)
    assert number.is_complete(" 12.5") and number.is_prefix(" 12.") and not number.is_complete(
        " 12.") and not number.is_prefix(" 1.234")


@pytest.mark.parametrize("text, possible", [
    ("2011-06-3", True), ("2011-06-31", False), ("2011-02-3", False), ("2012-02-29", True),
    ("2011-02-29", False), ("2011-00", False), ("2011-13", False), ("2011-06-00", False),
    ("2020-01-02 23:59", True), ("2020-01-02 24", False),
])
def test_dates_stay_possible_while_typed(text, possible):
    from lookalike.llm.decoder import _calendar_prefix

    assert _calendar_prefix(text, "date") is possible
    assert _calendar_prefix("23:5", "time") and not _calendar_prefix("24", "time")
