"""Schemas: SQL types parsed and translated to JSON schema, for every type the LLM route writes."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from lookalike.errors import InvalidOptionError, UnsupportedTypeError
from lookalike.io.files import read_table
from lookalike.llm.decoder import Choice, Either, Pattern, Template, Text, plan_from_json_schema
from lookalike.llm.schema import (
    ColumnSchema,
    TableSchema,
    column_json_schema,
    parse_sql_type,
    response_json_schema,
    sql_type_of_arrow,
)

# SQL type -> (normalised spelling, Arrow type, JSON schema without description, decoder machine)
TYPES = {
    "TINYINT": ("TINYINT", pa.int8(), {"type": "integer", "minimum": -128, "maximum": 127},
                Pattern),
    "SMALLINT": ("SMALLINT", pa.int16(),
                 {"type": "integer", "minimum": -32768, "maximum": 32767}, Pattern),
    "INTEGER": ("INTEGER", pa.int32(),
                {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}, Pattern),
    "BIGINT": ("BIGINT", pa.int64(),
               {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}, Pattern),
    "UTINYINT": ("UTINYINT", pa.uint8(), {"type": "integer", "minimum": 0, "maximum": 255},
                 Pattern),
    "USMALLINT": ("USMALLINT", pa.uint16(),
                  {"type": "integer", "minimum": 0, "maximum": 65535}, Pattern),
    "UINTEGER": ("UINTEGER", pa.uint32(),
                 {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}, Pattern),
    "UBIGINT": ("UBIGINT", pa.uint64(),
                {"type": "integer", "minimum": 0, "maximum": 2**64 - 1}, Pattern),
    "FLOAT": ("FLOAT", pa.float32(), {"type": "number"}, Pattern),
    "DOUBLE": ("DOUBLE", pa.float64(), {"type": "number"}, Pattern),
    "DECIMAL(10,2)": ("DECIMAL(10,2)", pa.decimal128(10, 2),
                      {"type": "number", "minimum": -99999999.99, "maximum": 99999999.99,
                       "multipleOf": 0.01}, Pattern),
    "DECIMAL(5,0)": ("DECIMAL(5,0)", pa.decimal128(5, 0),
                     {"type": "integer", "minimum": -99999.0, "maximum": 99999.0}, Pattern),
    "BOOLEAN": ("BOOLEAN", pa.bool_(), {"type": "boolean"}, Choice),
    "DATE": ("DATE", pa.date32(), {"type": "string", "format": "date"}, Template),
    "TIME": ("TIME", pa.time64("us"), {"type": "string", "format": "time"}, Template),
    "TIMESTAMP": ("TIMESTAMP", pa.timestamp("us"),
                  {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"},
                  Template),
    "TIMESTAMP WITH TIME ZONE": ("TIMESTAMP WITH TIME ZONE", pa.timestamp("us", tz="UTC"),
                                 {"type": "string", "format": "date-time"}, Template),
    "VARCHAR": ("VARCHAR", pa.string(), {"type": "string"}, Text),
    "VARCHAR(12)": ("VARCHAR(12)", pa.string(), {"type": "string", "maxLength": 12}, Text),
    "UUID": ("UUID", pa.string(), {"type": "string", "pattern": (
        "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")}, Template),
}
ALIASES = {"int": "INTEGER", "INT4": "INTEGER", "int8": "BIGINT", "long": "BIGINT",
           "SHORT": "SMALLINT", "real": "FLOAT", "float8": "DOUBLE",
           "double precision": "DOUBLE", "numeric(7, 3)": "DECIMAL(7,3)", "NUMERIC": "DECIMAL(18,3)",
           "bool": "BOOLEAN", "datetime": "TIMESTAMP", "timestamptz": "TIMESTAMP WITH TIME ZONE",
           "text": "VARCHAR", "string": "VARCHAR", "char(3)": "VARCHAR(3)"}


@pytest.mark.parametrize("text", TYPES)
def test_every_sql_type_translates(text):
    spelling, arrow, json_schema, machine = TYPES[text]
    sql = parse_sql_type(text)
    assert str(sql) == spelling
    assert sql.arrow == arrow
    translated = column_json_schema(ColumnSchema("c", sql))
    assert translated.pop("description") == spelling
    assert translated == json_schema
    assert isinstance(plan_from_json_schema(
        {"type": "object", "properties": {"c": translated}}).fields[0].machine, machine)


@pytest.mark.parametrize("text", TYPES)
def test_nullable_columns_allow_null_everywhere(text):
    column = ColumnSchema("c", parse_sql_type(text), nullable=True)
    translated = column_json_schema(column)
    assert translated["type"][1] == "null"
    machine = plan_from_json_schema({"type": "object", "properties": {"c": translated}}
                                    ).fields[0].machine
    assert isinstance(machine, Either) and machine.is_complete(" null")


@pytest.mark.parametrize("alias, spelling", ALIASES.items())
def test_aliases_are_normalised(alias, spelling):
    assert str(parse_sql_type(alias)) == spelling


@pytest.mark.parametrize("arrow", [value[1] for value in TYPES.values()
                                   if value[0] not in ("UUID", "VARCHAR(12)")])
def test_arrow_types_round_trip(arrow):
    assert sql_type_of_arrow(arrow).arrow == arrow


@pytest.mark.parametrize("text", ["BLOB", "INTERVAL", "INTEGER[]", "STRUCT(a INT)", "MAP"])
def test_unsupported_types_name_the_column(text):
    with pytest.raises(UnsupportedTypeError, match=r"column 'x' has type .* which the LLM route "
                                                   r"cannot produce"):
        parse_sql_type(text, "x")


def test_allowed_values_become_an_enum_with_null():
    column = ColumnSchema("SEX", parse_sql_type("VARCHAR"), nullable=True, values=("F", "M"))
    translated = column_json_schema(column)
    assert translated["enum"] == ["F", "M", None]
    machine = plan_from_json_schema({"type": "object", "properties": {"SEX": translated}}
                                    ).fields[0].machine
    assert machine.is_complete(' "F"') and machine.is_complete(" null")
    assert not machine.is_prefix(' "X')


def test_schema_of_the_customer_table(customers_path):
    schema = TableSchema.from_arrow(read_table(customers_path), name="CUSTOMER_DATA")
    types = {c.name: str(c.type) for c in schema.columns}
    assert types == {"POLICY_NUMBER": "BIGINT", "AGE": "BIGINT", "POLICY_START_DATE": "DATE",
                     "POLICY_LENGTH_MONTH": "BIGINT", "POLICY_DEDUCTABLE": "BIGINT",
                     "POLICY_ANNUAL_PREMIUM": "DOUBLE", "INSURED_SEX": "VARCHAR",
                     "INSURED_EDUCATION_LEVEL": "VARCHAR", "INSURED_OCCUPATION": "VARCHAR"}
    values = {c.name: c.values for c in schema.columns if c.values is not None}
    assert values["INSURED_SEX"] == ("F", "M")
    assert set(values) == {"INSURED_SEX", "INSURED_EDUCATION_LEVEL", "INSURED_OCCUPATION"}
    assert not any(c.nullable for c in schema.columns)


def test_response_schema_asks_for_exactly_n_rows():
    schema = TableSchema((ColumnSchema("A", parse_sql_type("INT")),))
    response = response_json_schema(schema, 7)
    rows = response["properties"]["rows"]
    assert (rows["minItems"], rows["maxItems"]) == (7, 7)
    assert rows["items"]["required"] == ["A"] and rows["items"]["additionalProperties"] is False
    plan = plan_from_json_schema(response)
    assert (plan.rows, plan.wrapped, [f.name for f in plan.fields]) == (7, True, ["A"])
    json.dumps(response)  # plain JSON, as an endpoint receives it


def test_schema_file_round_trip(tmp_path):
    data = {"table": "t", "columns": [
        {"name": "id", "type": "BIGINT"},
        {"name": "tier", "type": "TEXT", "values": ["gold", "silver"], "nullable": True},
        {"name": "price", "type": "NUMERIC(8,2)", "description": "in euros"}]}
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(data))
    schema = TableSchema.from_file(path)
    assert TableSchema.from_dict(schema.to_dict()) == schema
    assert schema.columns[2].description == "in euros"
    shorthand = TableSchema.from_dict({"columns": {"id": "BIGINT", "name": "TEXT"}})
    assert [str(c.type) for c in shorthand.columns] == ["BIGINT", "VARCHAR"]


def test_schema_file_problems_are_reported_together():
    with pytest.raises(InvalidOptionError) as raised:
        TableSchema.from_dict({"columns": [
            {"name": "a", "type": "BLOB"}, {"name": "b"}, {"name": "c", "type": "INT",
                                                          "values": ["x"]},
            {"name": "d", "type": "INT", "colour": 1}, {"name": "d", "type": "INT"}]})
    message = str(raised.value)
    for part in ("column 'a' has type 'BLOB'", "column 'b': no \"type\"",
                 "column 'c': allowed value 'x'", "column 'd': unknown keys ['colour']"):
        assert part in message
