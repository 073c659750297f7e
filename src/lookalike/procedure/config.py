"""The GENERATE_SYNTHETIC_DATA configuration: parse it and check its shape, before any database.

The shape is the warehouse procedure's (see docs/reference-procedure.md), plus two extensions of
ours: `num_rows` per dataset (the original always writes as many rows as the input has) and `seed`
at the top level (the same seed and data give the same output tables).

Every problem is collected and reported in one `ConfigError`, so that a user fixes a config in one
round trip instead of one error at a time.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lookalike.errors import ConfigError, InvalidOptionError
from lookalike.metadata import REPLACE_KINDS
from lookalike.privacy.filter import FilterOptions, parse_similarity_filter

TOP_KEYS = ("datasets", "similarity_filter", "replace_output_tables", "consistency_secret", "seed")
DATASET_KEYS = ("input_table", "output_table", "columns", "num_rows")
COLUMN_KEYS = ("join_key", "categorical", "replace", "parent")
SECRET_SOURCES = ("env", "file")
JOIN_KEY_REPLACE_KINDS = ("uuid", "email")


@dataclass(frozen=True)
class ColumnOptions:
    """What the config asks of one column; None means "decide from the data"."""

    join_key: bool = False
    categorical: bool | None = None
    replace: str | None = None
    parent: str | None = None  # extension: the input table this join key refers to

    def synthesizer_options(self) -> dict[str, Any]:
        """The options `Synthesizer(columns=...)` understands (join keys are not passed on)."""
        options: dict[str, Any] = {}
        if self.categorical is not None:
            options["categorical"] = self.categorical
        if self.replace is not None:
            options["replace"] = self.replace
        return options


@dataclass(frozen=True)
class Dataset:
    """One input table and the synthetic output table to make from it."""

    input_table: str
    output_table: str
    columns: dict[str, ColumnOptions] = field(default_factory=dict)
    num_rows: int | None = None


@dataclass(frozen=True)
class Config:
    datasets: tuple[Dataset, ...]
    similarity_filter: FilterOptions | None = None  # None: off
    replace_output_tables: bool = False
    consistency_secret: bytes | None = field(default=None, repr=False)  # never printed
    seed: int | None = None


def load_config(source: Mapping[str, Any] | str | Path) -> Config:
    """A `Config` from a dict, a JSON string, or the path of a JSON file."""
    raw = _read_source(source)
    problems: list[str] = []
    config = _parse_top(raw, problems)
    raise_problems(problems)
    assert config is not None
    return config


def raise_problems(problems: list[str]) -> None:
    """Raise one ConfigError listing every problem, or return when there is none."""
    if not problems:
        return
    if len(problems) == 1:
        raise ConfigError(f"invalid configuration: {problems[0]}")
    listed = "\n".join(f"  - {problem}" for problem in problems)
    raise ConfigError(f"invalid configuration, {len(problems)} problems:\n{listed}")


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """A hint naming the closest choice, ignoring case (names match case-insensitively)."""
    folded = {choice.casefold(): choice for choice in choices}
    close = difflib.get_close_matches(word.casefold(), list(folded), n=1)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


def _read_source(source: Mapping[str, Any] | str | Path) -> Any:
    if isinstance(source, Mapping):
        return source
    if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
        return _parse_json(source, "the configuration string")
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"no configuration file at {path}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise ConfigError(f"{path} is not UTF-8 text (byte {error.object[error.start]:#x} "
                              f"at position {error.start}): save it as UTF-8 JSON") from error
        return _parse_json(text, str(path))
    raise ConfigError(
        f"the configuration must be a dict, a JSON string or a path, not {type(source).__name__}"
    )


def _parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{where} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from error


def _parse_top(raw: Any, problems: list[str]) -> Config | None:
    if not isinstance(raw, Mapping):
        problems.append(f"the configuration must be a JSON object, not {_json_type(raw)}")
        return None
    _unknown_keys(raw, TOP_KEYS, "", problems)
    datasets = _parse_datasets(raw.get("datasets"), problems)
    return Config(
        datasets=tuple(datasets),
        similarity_filter=_similarity_filter(raw.get("similarity_filter"), problems),
        replace_output_tables=_boolean(raw, "replace_output_tables", "", problems) or False,
        consistency_secret=_secret(raw.get("consistency_secret"), problems),
        seed=_whole_number(raw, "seed", "", 0, problems),
    )


def _parse_datasets(raw: Any, problems: list[str]) -> list[Dataset]:
    if raw is None:
        problems.append("datasets is required: a list of {input_table, output_table} objects")
        return []
    if not isinstance(raw, list) or not raw:
        problems.append(f"datasets must be a non-empty list, not {_json_type(raw)}")
        return []
    datasets = [_parse_dataset(item, f"datasets[{i}]", problems) for i, item in enumerate(raw)]
    return [dataset for dataset in datasets if dataset is not None]


def _parse_dataset(raw: Any, where: str, problems: list[str]) -> Dataset | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where} must be an object with input_table and output_table, "
                        f"not {_json_type(raw)}")
        return None
    _unknown_keys(raw, DATASET_KEYS, where, problems)
    input_table = _table_name(raw, "input_table", where, problems)
    output_table = _table_name(raw, "output_table", where, problems)
    columns = _parse_columns(raw.get("columns", {}), f"{where}.columns", problems)
    num_rows = _whole_number(raw, "num_rows", where, 1, problems)
    if input_table is None or output_table is None:
        return None
    return Dataset(input_table, output_table, columns, num_rows)


def _parse_columns(raw: Any, where: str, problems: list[str]) -> dict[str, ColumnOptions]:
    if not isinstance(raw, Mapping):
        problems.append(f"{where} must be an object mapping column names to options, "
                        f"not {_json_type(raw)}")
        return {}
    seen: dict[str, str] = {}
    columns = {}
    for name, options in raw.items():
        if name.casefold() in seen:
            problems.append(f"{where}: {name!r} and {seen[name.casefold()]!r} name the same "
                            f"column (column names match case-insensitively); keep one")
            continue
        seen[name.casefold()] = name
        parsed = _parse_column(options, f"{where}.{name}", problems)
        if parsed is not None:
            columns[name] = parsed
    return columns


def _parse_column(raw: Any, where: str, problems: list[str]) -> ColumnOptions | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where} must be an object such as {{\"categorical\": true}}, "
                        f"not {_json_type(raw)}")
        return None
    _unknown_keys(raw, COLUMN_KEYS, where, problems)
    join_key = _boolean(raw, "join_key", where, problems) or False
    categorical = _boolean(raw, "categorical", where, problems)
    replace = _replace(raw.get("replace"), join_key, where, problems)
    if join_key and categorical is True:
        problems.append(f"{where}: a join key cannot be categorical: true (join keys get "
                        f"artificial values); drop one of the two options")
    parent = raw.get("parent")
    if parent is not None and (not isinstance(parent, str) or not parent.strip()):
        problems.append(f"{where}.parent must be a table name such as DB.SCHEMA.TABLE, "
                        f"not {parent!r}")
        parent = None
    elif parent is not None and not join_key:
        problems.append(f"{where}.parent applies to join keys only: add \"join_key\": true")
        parent = None
    return ColumnOptions(join_key, categorical, replace, parent.strip() if parent else None)


def _replace(value: Any, join_key: bool, where: str, problems: list[str]) -> str | None:
    if value is None:
        return None
    allowed = JOIN_KEY_REPLACE_KINDS if join_key else REPLACE_KINDS
    if not isinstance(value, str) or value not in allowed:
        role = "a join key's replace" if join_key else "replace"
        hint = did_you_mean(value, allowed) if isinstance(value, str) else ""
        problems.append(f"{where}.replace: {value!r} is not allowed for {role}; use one of "
                        f"{', '.join(allowed)}{hint}")
        return None
    return value


def _unknown_keys(raw: Mapping[str, Any], allowed: tuple[str, ...], where: str,
                  problems: list[str]) -> None:
    for key in raw:
        if key not in allowed:
            problems.append(f"{_at(where, key)}: unknown key{did_you_mean(str(key), allowed)}; "
                            f"allowed: {', '.join(allowed)}")


def _table_name(raw: Mapping[str, Any], key: str, where: str, problems: list[str]) -> str | None:
    value = raw.get(key)
    if value is None:
        problems.append(f"{_at(where, key)} is required: a table name such as DB.SCHEMA.TABLE")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{_at(where, key)} must be a table name such as DB.SCHEMA.TABLE, "
                        f"not {value!r}")
        return None
    return value.strip()


def _boolean(raw: Mapping[str, Any], key: str, where: str, problems: list[str]) -> bool | None:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return value
    problems.append(f"{_at(where, key)} must be true or false, not {value!r}")
    return None


def _whole_number(raw: Mapping[str, Any], key: str, where: str, minimum: int,
                  problems: list[str]) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problems.append(f"{_at(where, key)} must be a whole number >= {minimum}, not {value!r}")
        return None
    return value


def _similarity_filter(value: Any, problems: list[str]) -> FilterOptions | None:
    try:
        return parse_similarity_filter(value)
    except InvalidOptionError as error:
        problems.append(str(error))
        return None


def _secret(value: Any, problems: list[str]) -> bytes | None:
    """The secret itself, or read from `{"env": NAME}` or `{"file": PATH}` (better: the secret
    then stays out of the config). Messages never include the secret."""
    if value is None:
        return None
    if isinstance(value, str) and value:
        return value.encode()
    if isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in SECRET_SOURCES:
        source, name = next(iter(value.items()))
        secret = _read_secret(source, name, problems)
        return secret.encode() if secret else None
    problems.append('consistency_secret must be a non-empty string, {"env": "VARIABLE"} or '
                    '{"file": "PATH"}')
    return None


def _read_secret(source: str, name: Any, problems: list[str]) -> str | None:
    if not isinstance(name, str) or not name:
        problems.append(f"consistency_secret.{source} must be a non-empty string")
        return None
    if source == "env":
        secret = os.environ.get(name)
        if not secret:
            problems.append(f"consistency_secret.env: the environment variable {name} is not "
                            f"set or is empty")
        return secret
    try:
        secret = Path(name).expanduser().read_text().strip()
    except OSError as error:
        problems.append(f"consistency_secret.file: cannot read {name} ({error.strerror})")
        return None
    if not secret:
        problems.append(f"consistency_secret.file: {name} is empty")
    return secret or None


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else str(key)


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return f"{name} ({json.dumps(value, default=str)[:40]})" if kind is not type(None) else name
    return type(value).__name__
