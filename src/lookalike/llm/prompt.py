"""What goes into the prompt: the schema in words and a few example rows.

Example rows come from the real table, from a synthetic copy of it (lookalike's own
`Synthesizer`: no real row, rare categories hidden, text redacted), or not at all. For hosted
endpoints the synthetic copy is the default, so that no real value leaves the machine.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa

from lookalike.errors import InvalidDataError, InvalidOptionError
from lookalike.llm.schema import TableSchema, json_value

EXAMPLE_MODES = ("real", "synthetic", "none")
SYSTEM = ("You write realistic but entirely fictitious rows for a database table. "
          "Answer with JSON only.")


def build_messages(schema: TableSchema, examples: list[dict[str, Any]], rows: int
                   ) -> list[dict[str, str]]:
    """The chat messages asking for `rows` new rows. The user message ends with the example
    rows, one JSON object per line, so that a base model can simply go on writing rows."""
    lines = [f"Table {schema.name} has these columns:"]
    lines += [f"- {_describe(column)}" for column in schema.columns]
    lines += [
        "",
        (f"Write {rows} new rows that follow this schema and look like plausible real data. "
        "Vary the values and do not copy the example rows. "
        'Answer with {"rows": [...]}, one JSON object per row.'),
        "",
        ("Rows of the table, one JSON object per line:" if examples else
         "Rows, one JSON object per line:"),
    ]
    lines += [json.dumps(row, ensure_ascii=False) for row in examples]
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": "\n".join(lines)}]


def _describe(column: Any) -> str:
    text = f"{column.name}: {column.type}"
    text += ", may be null" if column.nullable else ", never null"
    if column.values is not None:
        shown = ", ".join(json.dumps(json_value(v)) for v in column.values[:50])
        more = f", ... ({len(column.values)} in all)" if len(column.values) > 50 else ""
        text += f", one of {shown}{more}"
    if column.description:
        text += f" ({column.description})"
    return text


def example_rows(table: pa.Table, schema: TableSchema, count: int, mode: str,
                 rng: np.random.Generator) -> list[dict[str, Any]]:
    """`count` example rows of `table` as JSON-ready dicts: real ones, synthetic ones, or none."""
    if mode not in EXAMPLE_MODES:
        raise InvalidOptionError(f"examples must be one of {', '.join(EXAMPLE_MODES)}, "
                                 f"not {mode!r}")
    if mode == "none" or count <= 0 or table.num_rows == 0:
        return []
    if mode == "synthetic":
        table = _synthetic(table, count, rng)
    else:
        picked = rng.choice(table.num_rows, size=min(count, table.num_rows), replace=False)
        table = table.take(pa.array(np.sort(picked)))
    table = table.select(schema.names)
    return [{name: json_value(value) for name, value in row.items()}
            for row in table.to_pylist()]


def _synthetic(table: pa.Table, count: int, rng: np.random.Generator) -> pa.Table:
    from lookalike.synthesizer import Synthesizer

    try:
        model = Synthesizer(random_state=int(rng.integers(2**31))).fit(table)
    except InvalidDataError as error:
        raise InvalidDataError(
            f"cannot make synthetic example rows ({error}); pass --examples 0 for none, or "
            f"--example-rows real to show real rows to the model") from error
    return model.sample(count)
