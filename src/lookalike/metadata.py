"""What a table holds: its columns, the kind of each, and how each is to be synthesised.

A column's *kind* decides which column model handles it:

| kind          | Arrow types                         | output                                     |
| ------------- | ----------------------------------- | ------------------------------------------ |
| integer       | int8 … uint64                       | integers following the real distribution  |
| float         | float16/32/64                       | same, keeping decimal places              |
| decimal       | decimal128/256                      | same, keeping precision and scale         |
| date          | date32/64                           | dates                                      |
| time          | time32/64                           | times of day                               |
| timestamp     | timestamp (naive or tz-aware)       | timestamps in the same unit and time zone |
| duration      | duration                            | durations                                  |
| boolean       | bool                                | booleans at realistic rates               |
| categorical   | strings with few distinct values    | real category values (rare ones hidden)   |
| text          | strings with many distinct values   | redacted, or fakes of a `replace` kind     |
| null          | anything, on request                | NULL in every row                          |

Detection follows the warehouse procedure: a string column is categorical when it has fewer
distinct values than half its row count, text otherwise. Every kind can be overridden per column.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from lookalike.errors import InvalidOptionError, UnknownColumnError, UnsupportedTypeError

SPEC_VERSION = 1

NUMERIC_KINDS = ("integer", "float", "decimal", "date", "time", "timestamp", "duration")
KINDS = (*NUMERIC_KINDS, "boolean", "categorical", "text", "null")
REPLACE_KINDS = (
    "redact", "uuid", "name", "first_name", "last_name", "address", "full_address", "email",
    "phone", "ssn",
)
COLUMN_OPTIONS = ("kind", "categorical", "replace", "labels")


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its name, its kind, for text columns what replaces the real values, and for
    categorical columns of a declared value set (an enum) its labels."""

    name: str
    kind: str
    replace: str | None = None
    labels: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {key: value for key, value in asdict(self).items() if value is not None}
        if self.labels is not None:
            data["labels"] = list(self.labels)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSpec:
        labels = data.get("labels")
        return cls(name=data["name"], kind=data["kind"], replace=data.get("replace"),
                   labels=tuple(labels) if labels is not None else None)


def physical_kind(arrow_type: pa.DataType) -> str | None:
    """The kind an Arrow type maps to before any look at the data; None when unsupported."""
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type):
        return "float"
    if pa.types.is_decimal(arrow_type):
        return "decimal"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_time(arrow_type):
        return "time"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    if pa.types.is_duration(arrow_type):
        return "duration"
    if is_string_type(arrow_type):
        return "categorical"
    if pa.types.is_null(arrow_type):
        return "null"
    return None


def is_string_type(arrow_type: pa.DataType) -> bool:
    if pa.types.is_dictionary(arrow_type):
        return is_string_type(arrow_type.value_type)
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or (
        hasattr(pa.types, "is_string_view") and pa.types.is_string_view(arrow_type)
    )


def detect_columns(
    table: pa.Table, overrides: Mapping[str, Mapping[str, Any]] | None = None
) -> list[ColumnSpec]:
    """The spec of every column of `table`, detected from its types and data, then overridden.

    `overrides` maps column names to options: `kind` (one of KINDS), `categorical` (strings only:
    true keeps real values, false redacts), `replace` (text columns: one of REPLACE_KINDS) and
    `labels` (categorical strings: the values the column may hold, such as an enum's labels).
    Every problem found is reported in one error.
    """
    overrides = dict(overrides or {})
    problems = _unknown_columns(table.column_names, overrides)
    specs = []
    for name in table.column_names:
        options = overrides.get(name, {})
        spec, column_problems = _column_spec(name, table.column(name), options)
        problems.extend(column_problems)
        specs.append(spec)
    _raise_collected(problems)
    return specs


def _column_spec(
    name: str, column: pa.ChunkedArray, options: Mapping[str, Any]
) -> tuple[ColumnSpec, list[Exception]]:
    problems: list[Exception] = []
    if not isinstance(options, Mapping):
        problems.append(InvalidOptionError(
            f"column {name!r}: options must be a mapping such as {{'kind': 'text'}}, "
            f"not {options!r}"
        ))
        options = {}
    unknown = [key for key in options if key not in COLUMN_OPTIONS]
    for key in unknown:
        problems.append(InvalidOptionError(
            f"column {name!r}: unknown option {key!r}{_did_you_mean(key, COLUMN_OPTIONS)}"
        ))
    detected = physical_kind(column.type)
    kind = options.get("kind")
    if kind is not None and kind not in KINDS:
        problems.append(InvalidOptionError(
            f"column {name!r}: kind {kind!r} is not one of {', '.join(KINDS)}"
            f"{_did_you_mean(kind, KINDS)}"
        ))
        kind = None
    if kind is None and detected is None:
        problems.append(UnsupportedTypeError(
            f"column {name!r} has type {column.type}, which lookalike cannot synthesise; drop it "
            f"or set its kind to 'null' to output NULL in every row"
        ))
        return ColumnSpec(name, "null"), problems
    if kind is not None and kind != "null" and not _kind_fits(kind, detected):
        problems.append(InvalidOptionError(
            f"column {name!r}: kind {kind!r} does not fit its type {column.type}"
        ))
        kind = None
    categorical = options.get("categorical")
    if categorical is not None:
        if not isinstance(categorical, bool):
            problems.append(InvalidOptionError(
                f"column {name!r}: categorical must be true or false, not {categorical!r}"
            ))
        elif detected != "categorical":
            problems.append(InvalidOptionError(
                f"column {name!r}: categorical applies to string columns only, and this column "
                f"has type {column.type}"
            ))
        elif kind is None:
            kind = "categorical" if categorical else "text"
        elif kind != ("categorical" if categorical else "text"):
            problems.append(InvalidOptionError(
                f"column {name!r}: kind {kind!r} contradicts categorical: "
                f"{str(categorical).lower()}"
            ))
    if kind is None and options.get("labels") is not None and detected == "categorical":
        kind = "categorical"  # a declared set of values (an enum) is a category by definition
    if kind is None:
        kind = _detect_string_kind(column) if detected == "categorical" else detected
    replace = options.get("replace")
    if replace is not None:
        if replace not in REPLACE_KINDS:
            problems.append(InvalidOptionError(
                f"column {name!r}: replace {replace!r} is not one of {', '.join(REPLACE_KINDS)}"
                f"{_did_you_mean(str(replace), REPLACE_KINDS)}"
            ))
            replace = None
        elif detected != "categorical":
            problems.append(InvalidOptionError(
                f"column {name!r}: replace applies to string columns only, and this column has "
                f"type {column.type}"
            ))
            replace = None
        elif kind == "categorical" and options.get("categorical") is True:
            problems.append(InvalidOptionError(
                f"column {name!r}: replace {replace!r} contradicts categorical: true"
            ))
            replace = None
        elif kind in ("categorical", "null") and options.get("kind") == kind:
            problems.append(InvalidOptionError(
                f"column {name!r}: replace {replace!r} contradicts kind {kind!r}"
            ))
            replace = None
        else:
            kind = "text"
    if kind == "text" and replace is None:
        replace = "redact"
    labels = _labels(name, options.get("labels"), kind, problems)
    return ColumnSpec(name, kind, replace, labels), problems


def _labels(name: str, labels: Any, kind: str, problems: list[Exception]
            ) -> tuple[str, ...] | None:
    """The `labels` option: the values a categorical string column may hold (an enum's)."""
    if labels is None:
        return None
    if not isinstance(labels, (list, tuple)) or not all(isinstance(v, str) for v in labels):
        problems.append(InvalidOptionError(
            f"column {name!r}: labels must be a list of strings, not {labels!r}"))
        return None
    if kind != "categorical":
        problems.append(InvalidOptionError(
            f"column {name!r}: labels apply to categorical string columns, and this column is "
            f"{kind}"))
        return None
    return tuple(labels)


def _kind_fits(kind: str, detected: str | None) -> bool:
    if detected == "categorical":
        return kind in ("categorical", "text")
    if kind == "categorical":  # a number or a boolean may be modelled as a category
        return detected in ("integer", "boolean")
    return kind == detected


def _detect_string_kind(column: pa.ChunkedArray) -> str:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    distinct = pc.count_distinct(column, mode="only_valid").as_py()
    return "categorical" if distinct < len(column) / 2 else "text"


def _unknown_columns(names: list[str], overrides: Mapping[str, Any]) -> list[Exception]:
    return [
        UnknownColumnError(
            f"no column {name!r} in the table{_did_you_mean(name, names)} "
            f"(columns: {', '.join(names)})"
        )
        for name in overrides
        if name not in names
    ]


def _did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _raise_collected(problems: list[Exception]) -> None:
    if not problems:
        return
    if len(problems) == 1:
        raise problems[0]
    first = problems[0]
    message = f"{len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems)
    raise type(first)(message) if all(type(p) is type(first) for p in problems) else (
        InvalidOptionError(message)
    )
