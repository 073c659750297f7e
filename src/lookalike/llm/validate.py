"""Every answer of a model is checked here before a row is kept: parse, coerce each value to its
column's SQL type, enforce nullability and allowed values. A row with any problem is dropped,
never written; the problems say which column, which value, and why."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import numpy as np

from lookalike.llm.schema import INTEGER_RANGES, ColumnSchema, TableSchema

_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```\s*$")
FLOAT32_MAX = float(np.finfo(np.float32).max)


def parse_answer(text: str) -> tuple[list[Any], str | None]:
    """The candidate rows in a model's answer, and a problem when it is not usable JSON.

    Accepts {"rows": [...]}, a bare list, a single row object, or one object per line;
    a Markdown code fence around it is ignored."""
    text = _FENCE.sub("", text.strip())
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        rows = _json_lines(text)
        if rows is None:
            return [], f"the answer is not valid JSON ({error.msg} at character {error.pos})"
        return rows, None
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        return data["rows"], None
    if isinstance(data, list):
        return data, None
    if isinstance(data, dict):
        return [data], None
    return [], f"the answer is JSON but neither a list of rows nor {{\"rows\": [...]}}: {text[:80]!r}"


def _json_lines(text: str) -> list[Any] | None:
    rows = []
    for line in filter(None, (line.strip().rstrip(",") for line in text.splitlines())):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            return None
    return rows or None


def coerce_row(schema: TableSchema, candidate: Any) -> tuple[tuple[Any, ...] | None, list[str]]:
    """`candidate` as a tuple of Python values in column order, or None and its problems."""
    if not isinstance(candidate, dict):
        return None, [f"a row must be a JSON object, not {_short(candidate)}"]
    problems = [f"unknown column {key!r}" for key in candidate if key not in schema.names]
    values = []
    for column in schema.columns:
        if column.name not in candidate and not column.nullable:
            problems.append(f"column {column.name!r}: missing")
            continue
        value, problem = coerce_value(column, candidate.get(column.name))
        if problem:
            problems.append(f"column {column.name!r}: {problem}")
        values.append(value)
    return (None, problems) if problems else (tuple(values), [])


def coerce_value(column: ColumnSchema, value: Any) -> tuple[Any, str | None]:
    """`value` converted to the Python value of the column's SQL type, or a problem."""
    if value is None:
        return None, None if column.nullable else "NULL, but the column is NOT NULL"
    try:
        result = _COERCE[column.type.kind](column, value)
    except (ValueError, TypeError, InvalidOperation, OverflowError) as error:
        return None, f"{_short(value)} is not a {column.type}: {error}"
    if column.values is not None and result not in column.values:
        return None, f"{_short(value)} is not one of the allowed values"
    return result, None


def _integer(column: ColumnSchema, value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("has a fraction")
        value = int(value)
    elif isinstance(value, str):
        if not _INTEGER.match(value.strip()):
            raise ValueError("not an integer")
        value = int(value.strip())
    elif not isinstance(value, int):
        raise TypeError(f"a {type(value).__name__} is not a number")
    low, high = INTEGER_RANGES[column.type.name]
    if not low <= value <= high:
        raise ValueError(f"out of range [{low}, {high}]")
    return value


def _float(column: ColumnSchema, value: Any) -> float:
    number = _number(value)
    result = float(number)
    if not math.isfinite(result) or (column.type.name == "FLOAT" and abs(result) > FLOAT32_MAX):
        raise ValueError("out of range")
    return result


def _decimal(column: ColumnSchema, value: Any) -> Decimal:
    number = Decimal(str(_number(value)))
    if not number.is_finite():
        raise ValueError("not finite")
    sql = column.type
    result = number.quantize(Decimal(1).scaleb(-sql.scale), rounding=ROUND_HALF_EVEN)
    if abs(result) >= Decimal(10) ** (sql.precision - sql.scale):
        raise ValueError(f"more than {sql.precision - sql.scale} digits before the point")
    return result


def _number(value: Any) -> int | float | str:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return value.strip()
    raise ValueError("not a number")


def _boolean(column: ColumnSchema, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError("not true or false")


def _date(column: ColumnSchema, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise TypeError("a timestamp is not a date")
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(_text(value))


def _time(column: ColumnSchema, value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    result = dt.time.fromisoformat(_text(value))
    if result.tzinfo is not None:
        raise ValueError("a TIME has no time zone")
    return result


def _timestamp(column: ColumnSchema, value: Any) -> dt.datetime:
    result = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(_text(value))
    if column.type.name == "TIMESTAMP":
        if result.tzinfo is not None:
            result = result.astimezone(dt.UTC).replace(tzinfo=None)
        return result
    return result.replace(tzinfo=dt.UTC) if result.tzinfo is None else (
        result.astimezone(dt.UTC))


def _string(column: ColumnSchema, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError(f"a {type(value).__name__} is not text")
    result = value if isinstance(value, str) else str(value)
    if column.type.length is not None and len(result) > column.type.length:
        raise ValueError(f"longer than {column.type.length} characters")
    return result


def _uuid(column: ColumnSchema, value: Any) -> str:
    result = _text(value).lower()
    if not _UUID.match(result):
        raise ValueError("not of the form 8-4-4-4-12 hexadecimal digits")
    return result


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got a {type(value).__name__}")
    return value.strip()


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


_COERCE = {"integer": _integer, "float": _float, "decimal": _decimal, "boolean": _boolean,
           "date": _date, "time": _time, "timestamp": _timestamp, "string": _string,
           "uuid": _uuid}
