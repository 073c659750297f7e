"""The configuration's shape: every problem found at once, each message exact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lookalike.errors import ConfigError, InvalidOptionError, LookalikeError
from lookalike.procedure.config import ColumnOptions, Config, Dataset, load_config

MINIMAL = {"datasets": [{"input_table": "DB.S.A", "output_table": "DB.S.B"}]}


def error_text(config: object) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(config)  # type: ignore[arg-type]
    return str(caught.value)


def with_dataset(**fields: object) -> dict:
    return {"datasets": [{**MINIMAL["datasets"][0], **fields}]}


def test_a_full_config_parses_with_defaults_and_extensions() -> None:
    config = load_config({
        "datasets": [{"input_table": "DB.S.A", "output_table": "DB.S.B", "num_rows": 10,
                      "columns": {"id": {"join_key": True, "replace": "email"},
                                  "city": {"categorical": True}}}],
        "replace_output_tables": True, "seed": 3,
    })
    assert config == Config(
        datasets=(Dataset("DB.S.A", "DB.S.B", {
            "id": ColumnOptions(join_key=True, replace="email"),
            "city": ColumnOptions(categorical=True)}, num_rows=10),),
        similarity_filter=None, replace_output_tables=True, consistency_secret=None, seed=3)


def test_json_string_and_file_give_the_same_config(tmp_path: Path) -> None:
    path = tmp_path / "synth.json"
    path.write_text(json.dumps(MINIMAL))
    assert load_config(json.dumps(MINIMAL)) == load_config(path) == load_config(str(path))


def test_config_errors_are_lookalike_errors() -> None:
    assert issubclass(ConfigError, InvalidOptionError)
    assert issubclass(ConfigError, LookalikeError)
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize(("config", "message"), [
    ({}, "datasets is required: a list of {input_table, output_table} objects"),
    ({"datasets": []}, "datasets must be a non-empty list, not a list ([])"),
    ({**MINIMAL, "similarity_filtre": True},
     ("similarity_filtre: unknown key (did you mean 'similarity_filter'?); allowed: datasets, "
     "similarity_filter, replace_output_tables, consistency_secret, seed")),
    ({**MINIMAL, "replace_output_tables": "yes"},
     "replace_output_tables must be true or false, not 'yes'"),
    ({**MINIMAL, "seed": -1}, "seed must be a whole number >= 0, not -1"),
    ({**MINIMAL, "seed": True}, "seed must be a whole number >= 0, not True"),
    ({**MINIMAL, "consistency_secret": ""},
     'consistency_secret must be a non-empty string, {"env": "VARIABLE"} or {"file": "PATH"}'),
    (with_dataset(num_rows=0), "datasets[0].num_rows must be a whole number >= 1, not 0"),
    (with_dataset(output_tabel="DB.S.C"),
     ("datasets[0].output_tabel: unknown key (did you mean 'output_table'?); allowed: "
     "input_table, output_table, columns, num_rows")),
    ({"datasets": [{"input_table": "DB.S.A"}]},
     "datasets[0].output_table is required: a table name such as DB.SCHEMA.TABLE"),
    (with_dataset(input_table=""),
     "datasets[0].input_table must be a table name such as DB.SCHEMA.TABLE, not ''"),
    (with_dataset(columns=["a"]),
     'datasets[0].columns must be an object mapping column names to options, not a list (["a"])'),
    (with_dataset(columns={"a": {"replace": "nmae"}}),
     ("datasets[0].columns.a.replace: 'nmae' is not allowed for replace; use one of redact, uuid, "
     "name, first_name, last_name, address, full_address, email, phone, ssn "
     "(did you mean 'name'?)")),
    (with_dataset(columns={"a": {"join_key": True, "replace": "name"}}),
     ("datasets[0].columns.a.replace: 'name' is not allowed for a join key's replace; use one of "
     "uuid, email")),
    (with_dataset(columns={"a": {"join_key": True, "categorical": True}}),
     ("datasets[0].columns.a: a join key cannot be categorical: true (join keys get artificial "
     "values); drop one of the two options")),
    (with_dataset(columns={"a": {"categorical": "yes"}}),
     "datasets[0].columns.a.categorical must be true or false, not 'yes'"),
    (with_dataset(columns={"a": {"categorcal": True}}),
     ("datasets[0].columns.a.categorcal: unknown key (did you mean 'categorical'?); allowed: "
     "join_key, categorical, replace, parent")),
    (with_dataset(columns={"a": {}, "A": {}}),
     ("datasets[0].columns: 'A' and 'a' name the same column (column names match "
     "case-insensitively); keep one")),
    ("[1, 2]", "the configuration must be a JSON object, not a list ([1, 2])"),
])
def test_each_problem_has_an_exact_message(config: object, message: str) -> None:
    assert error_text(config) == f"invalid configuration: {message}"


def test_every_problem_is_reported_at_once() -> None:
    text = error_text({"seed": "x", "datasets": [{"input_table": "A", "output_table": "B",
                                                  "columns": {"c": {"replace": "nope"}}}]})
    assert text == (
        "invalid configuration, 2 problems:\n"
        "  - datasets[0].columns.c.replace: 'nope' is not allowed for replace; use one of redact, "
        "uuid, name, first_name, last_name, address, full_address, email, phone, ssn\n"
        "  - seed must be a whole number >= 0, not 'x'")


def test_unreadable_sources_are_named(tmp_path: Path) -> None:
    assert error_text(tmp_path / "missing.json") == f"no configuration file at {tmp_path}/missing.json"
    assert error_text('{"datasets": [}') == (
        "the configuration string is not valid JSON: Expecting value at line 1, column 15")
    assert error_text(42) == "the configuration must be a dict, a JSON string or a path, not int"
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"datasets": [], "note": "café"}'.encode("latin-1"))
    assert error_text(latin) == (f"{latin} is not UTF-8 text (byte 0xe9 at position 29): save it "
                                 f"as UTF-8 JSON")
