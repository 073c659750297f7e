"""A table's schema as the LLM route sees it, and its translation into a JSON schema.

A `TableSchema` is column names, SQL types, nullability and, where known, the allowed values of
a column. It comes from an Arrow table (types and values detected with
`lookalike.metadata.detect_columns`), from a DuckDB table, or from a small JSON file:

    {"table": "customers",
     "columns": [{"name": "AGE", "type": "INTEGER"},
                 {"name": "SEX", "type": "VARCHAR", "values": ["F", "M"], "nullable": true}]}

Types follow DuckDB's spelling; the usual aliases (INT, TEXT, NUMERIC, TIMESTAMPTZ, ...) are
accepted and normalised.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from lookalike.errors import InvalidOptionError, ReadError, UnsupportedTypeError

INTEGER_RANGES = {
    "TINYINT": (-(2**7), 2**7 - 1), "SMALLINT": (-(2**15), 2**15 - 1),
    "INTEGER": (-(2**31), 2**31 - 1), "BIGINT": (-(2**63), 2**63 - 1),
    "UTINYINT": (0, 2**8 - 1), "USMALLINT": (0, 2**16 - 1), "UINTEGER": (0, 2**32 - 1),
    "UBIGINT": (0, 2**64 - 1),
}
ALIASES = {
    "INT1": "TINYINT", "INT2": "SMALLINT", "SHORT": "SMALLINT", "INT": "INTEGER",
    "INT4": "INTEGER", "SIGNED": "INTEGER", "INT8": "BIGINT", "LONG": "BIGINT",
    "FLOAT4": "FLOAT", "REAL": "FLOAT", "FLOAT8": "DOUBLE", "DOUBLE PRECISION": "DOUBLE",
    "NUMERIC": "DECIMAL", "BOOL": "BOOLEAN", "LOGICAL": "BOOLEAN", "DATETIME": "TIMESTAMP",
    "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP", "TIMESTAMP_US": "TIMESTAMP",
    "TIMESTAMP_MS": "TIMESTAMP", "TIMESTAMP_S": "TIMESTAMP", "TIMESTAMP_NS": "TIMESTAMP",
    "TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE", "TEXT": "VARCHAR", "STRING": "VARCHAR",
    "CHAR": "VARCHAR", "BPCHAR": "VARCHAR", "NVARCHAR": "VARCHAR",
    "TIME WITHOUT TIME ZONE": "TIME",
}
ARROW_INTEGERS = {
    "TINYINT": pa.int8(), "SMALLINT": pa.int16(), "INTEGER": pa.int32(), "BIGINT": pa.int64(),
    "UTINYINT": pa.uint8(), "USMALLINT": pa.uint16(), "UINTEGER": pa.uint32(),
    "UBIGINT": pa.uint64(),
}
BASE_TYPES = (*INTEGER_RANGES, "FLOAT", "DOUBLE", "DECIMAL", "BOOLEAN", "DATE", "TIME",
              "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "VARCHAR", "UUID")
# The JSON-schema patterns the local decoder recognises (see lookalike.llm.decoder).
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
MAX_ALLOWED_VALUES = 200  # more distinct values than this are not listed as an enum
_TYPE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_ ]*?)\s*(?:\(\s*([0-9 ,]*)\s*\))?\s*$")


@dataclass(frozen=True)
class SqlType:
    """A normalised SQL type: its base name and, for DECIMAL and VARCHAR, its parameters."""

    name: str
    precision: int | None = None
    scale: int | None = None
    length: int | None = None

    def __str__(self) -> str:
        if self.name == "DECIMAL":
            return f"DECIMAL({self.precision},{self.scale})"
        if self.name == "VARCHAR" and self.length is not None:
            return f"VARCHAR({self.length})"
        return self.name

    @property
    def kind(self) -> str:
        """integer, float, decimal, boolean, date, time, timestamp, string or uuid."""
        if self.name in INTEGER_RANGES:
            return "integer"
        return {"FLOAT": "float", "DOUBLE": "float", "DECIMAL": "decimal",
                "BOOLEAN": "boolean", "DATE": "date", "TIME": "time", "TIMESTAMP": "timestamp",
                "TIMESTAMP WITH TIME ZONE": "timestamp", "VARCHAR": "string",
                "UUID": "uuid"}[self.name]

    @property
    def arrow(self) -> pa.DataType:
        if self.name in INTEGER_RANGES:
            return ARROW_INTEGERS[self.name]
        return {
            "FLOAT": pa.float32(), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(),
            "DATE": pa.date32(), "TIME": pa.time64("us"), "TIMESTAMP": pa.timestamp("us"),
            "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"), "VARCHAR": pa.string(),
            "UUID": pa.string(),
        }.get(self.name) or pa.decimal128(self.precision, self.scale)


def parse_sql_type(text: str, column: str = "?") -> SqlType:
    """`text` (DuckDB's spelling or a common alias) as a SqlType; UnsupportedTypeError if the
    LLM route cannot produce values of that type."""
    match = _TYPE.match(str(text))
    name = " ".join(match.group(1).upper().split()) if match else ""
    name = ALIASES.get(name, name)
    if not match or name not in BASE_TYPES:
        raise UnsupportedTypeError(
            f"column {column!r} has type {text!r}, which the LLM route cannot produce; use one "
            f"of {', '.join(BASE_TYPES)} (or a common alias such as INT, TEXT, NUMERIC)")
    arguments = [int(a) for a in (match.group(2) or "").replace(" ", "").split(",") if a]
    if name == "DECIMAL":
        precision, scale = (arguments + [18, 3][len(arguments):])[:2] if arguments else (18, 3)
        if not 1 <= precision <= 38 or not 0 <= scale <= precision:
            raise UnsupportedTypeError(f"column {column!r}: {text!r} is not a valid DECIMAL")
        return SqlType("DECIMAL", precision=precision, scale=scale)
    if name == "VARCHAR" and arguments:
        return SqlType("VARCHAR", length=arguments[0])
    return SqlType(name)


def sql_type_of_arrow(arrow_type: pa.DataType, column: str = "?") -> SqlType:
    """The SQL type a column of `arrow_type` is written as."""
    if pa.types.is_dictionary(arrow_type):
        return sql_type_of_arrow(arrow_type.value_type, column)
    if pa.types.is_integer(arrow_type):
        signed = pa.types.is_signed_integer(arrow_type)
        names = {8: "TINYINT", 16: "SMALLINT", 32: "INTEGER", 64: "BIGINT"}
        return SqlType(("" if signed else "U") + names[arrow_type.bit_width])
    if pa.types.is_floating(arrow_type):
        return SqlType("DOUBLE" if arrow_type.bit_width == 64 else "FLOAT")
    if pa.types.is_decimal(arrow_type):
        return SqlType("DECIMAL", precision=arrow_type.precision, scale=arrow_type.scale)
    simple = {pa.types.is_boolean: "BOOLEAN", pa.types.is_date: "DATE", pa.types.is_time: "TIME",
              pa.types.is_string: "VARCHAR", pa.types.is_large_string: "VARCHAR"}
    for test, name in simple.items():
        if test(arrow_type):
            return SqlType(name)
    if pa.types.is_timestamp(arrow_type):
        return SqlType("TIMESTAMP WITH TIME ZONE" if arrow_type.tz else "TIMESTAMP")
    raise UnsupportedTypeError(
        f"column {column!r} has type {arrow_type}, which the LLM route cannot produce; "
        f"drop the column first")


@dataclass(frozen=True)
class ColumnSchema:
    """One column: name, SQL type, whether NULL is allowed, and its allowed values if known."""

    name: str
    type: SqlType
    nullable: bool = False
    values: tuple[Any, ...] | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": str(self.type),
                                "nullable": self.nullable}
        if self.values is not None:
            data["values"] = [json_value(value) for value in self.values]
        if self.description:
            data["description"] = self.description
        return data


@dataclass(frozen=True)
class TableSchema:
    """The columns of one table, in order."""

    columns: tuple[ColumnSchema, ...]
    name: str = "table"
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type.arrow, nullable=c.nullable)
                          for c in self.columns])

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.name, "columns": [column.to_dict() for column in self.columns]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TableSchema:
        """The schema file's content; every problem is reported at once."""
        if not isinstance(data, Mapping) or "columns" not in data:
            raise InvalidOptionError(
                'a schema is an object with "columns": [{"name": ..., "type": ...}, ...]')
        raw = data["columns"]
        if isinstance(raw, Mapping):  # shorthand {"AGE": "INTEGER", ...}
            raw = [{"name": name, "type": kind} for name, kind in raw.items()]
        columns, problems = [], []
        for index, item in enumerate(raw):
            try:
                columns.append(_column_from_dict(item, index))
            except (InvalidOptionError, UnsupportedTypeError) as error:
                problems.append(str(error))
        names = [column.name for column in columns]
        problems += [f"column {n!r} appears more than once" for n in sorted(set(names))
                     if names.count(n) > 1]
        if not raw:
            problems.append("the schema has no columns")
        if problems:
            raise InvalidOptionError("invalid schema:\n" + "\n".join(f"  - {p}" for p in problems))
        return cls(tuple(columns), name=str(data.get("table") or "table"))

    @classmethod
    def from_file(cls, path: str | Path) -> TableSchema:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except OSError as error:
            raise ReadError(f"{path}: cannot read the schema: {error.strerror}") from error
        except UnicodeDecodeError as error:
            raise ReadError(f"{path}: not UTF-8 text (byte {error.object[error.start]:#x} at "
                            f"position {error.start}): save it as UTF-8 JSON") from error
        except json.JSONDecodeError as error:
            raise ReadError(f"{path}: not valid JSON: {error}") from error
        return cls.from_dict(data)

    @classmethod
    def from_arrow(cls, table: pa.Table, *, name: str = "table",
                   sql_types: Mapping[str, str] | None = None) -> TableSchema:
        """The schema of `table`: SQL types from Arrow (or `sql_types`), a column is nullable
        when it holds a NULL, and categorical string columns (as `detect_columns` sees them)
        allow only their distinct values."""
        from lookalike.metadata import detect_columns

        kinds = {spec.name: spec.kind for spec in detect_columns(table)}
        columns = []
        for arrow_field in table.schema:
            column = table.column(arrow_field.name)
            sql = (parse_sql_type(sql_types[arrow_field.name], arrow_field.name)
                   if sql_types and arrow_field.name in sql_types
                   else sql_type_of_arrow(arrow_field.type, arrow_field.name))
            values = None
            if kinds.get(arrow_field.name) == "categorical" and sql.kind == "string":
                distinct = pc.unique(column.drop_null()).to_pylist()
                if len(distinct) <= MAX_ALLOWED_VALUES:
                    values = tuple(sorted(distinct))
            columns.append(ColumnSchema(arrow_field.name, sql, column.null_count > 0, values))
        return cls(tuple(columns), name=name)

    def without_values(self) -> TableSchema:
        return replace(self, columns=tuple(replace(c, values=None) for c in self.columns))


def _column_from_dict(item: Any, index: int) -> ColumnSchema:
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        raise InvalidOptionError(f"column #{index + 1}: needs a \"name\" (a string) and a \"type\"")
    name = item["name"]
    unknown = set(item) - {"name", "type", "nullable", "values", "description"}
    if unknown:
        raise InvalidOptionError(f"column {name!r}: unknown keys {sorted(unknown)}")
    if "type" not in item:
        raise InvalidOptionError(f"column {name!r}: no \"type\"")
    sql = parse_sql_type(item["type"], name)
    values = item.get("values")
    if values is not None:
        if not isinstance(values, Sequence) or isinstance(values, str) or not values:
            raise InvalidOptionError(f"column {name!r}: \"values\" must be a non-empty list")
        from lookalike.llm.validate import coerce_value

        coerced = []
        for value in values:
            result, problem = coerce_value(ColumnSchema(name, sql), value)
            if problem:
                raise InvalidOptionError(f"column {name!r}: allowed value {value!r}: {problem}")
            coerced.append(result)
        values = tuple(coerced)
    nullable = item.get("nullable", False)
    if not isinstance(nullable, bool):
        raise InvalidOptionError(f"column {name!r}: \"nullable\" must be true or false")
    return ColumnSchema(name, sql, nullable, values, item.get("description"))


def json_value(value: Any) -> Any:
    """A Python value as the JSON value the schema asks for (see `column_json_schema`)."""
    if isinstance(value, Decimal):
        exact = value == value.to_integral_value() and value.as_tuple().exponent >= 0
        return int(value) if exact else float(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- JSON schema ----------------------------------------------------------------------------------

def column_json_schema(column: ColumnSchema) -> dict[str, Any]:
    """The JSON schema of one column's values (OpenAI's structured-output subset)."""
    sql = column.type
    kind = sql.kind
    schema: dict[str, Any]
    if kind == "integer":
        low, high = INTEGER_RANGES[sql.name]
        schema = {"type": "integer", "minimum": low, "maximum": high}
    elif kind == "float":
        schema = {"type": "number"}
    elif kind == "decimal":
        bound = float(Decimal(10) ** (sql.precision - sql.scale) - Decimal(10) ** -sql.scale)
        schema = {"type": "number", "minimum": -bound, "maximum": bound}
        if sql.scale:
            schema["multipleOf"] = float(Decimal(10) ** -sql.scale)
        else:
            schema["type"] = "integer"
    elif kind == "boolean":
        schema = {"type": "boolean"}
    elif kind == "date":
        schema = {"type": "string", "format": "date"}
    elif kind == "time":
        schema = {"type": "string", "format": "time"}
    elif kind == "timestamp" and sql.name == "TIMESTAMP":
        schema = {"type": "string", "pattern": TIMESTAMP_PATTERN}
    elif kind == "timestamp":
        schema = {"type": "string", "format": "date-time"}
    elif kind == "uuid":
        schema = {"type": "string", "pattern": UUID_PATTERN}
    else:
        schema = {"type": "string"}
        if sql.length is not None:
            schema["maxLength"] = sql.length
    schema["description"] = str(sql) + (f": {column.description}" if column.description else "")
    if column.values is not None:
        schema["enum"] = [json_value(value) for value in column.values]
    if column.nullable:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"].append(None)
    return schema


def row_json_schema(schema: TableSchema) -> dict[str, Any]:
    """The JSON schema of one row: every column required, no other key."""
    return {"type": "object",
            "properties": {column.name: column_json_schema(column) for column in schema.columns},
            "required": schema.names, "additionalProperties": False}


def response_json_schema(schema: TableSchema, rows: int) -> dict[str, Any]:
    """The JSON schema of an answer: {"rows": [row, ...]} with exactly `rows` rows."""
    return {"type": "object",
            "properties": {"rows": {"type": "array", "items": row_json_schema(schema),
                                    "minItems": rows, "maxItems": rows}},
            "required": ["rows"], "additionalProperties": False}
