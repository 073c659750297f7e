"""The LLM route: structure-valid fake rows from a schema and a few examples.

Rows follow the schema's types, nullability and allowed values, and look plausible, but do not
follow the real data's statistics: for empty tables, demos and seeding tests.

    >>> from lookalike.llm import TableSchema, generate_rows, LocalBackend
    >>> schema = TableSchema.from_file("schema.json")
    >>> result = generate_rows(schema, 100, backend=LocalBackend(), seed=7)
    >>> result.table          # a pyarrow Table of the schema's types
    >>> result.report.summary()

The embedded model needs the `llm` extra (`pip install 'lookalike[llm]'`); an
OpenAI-compatible endpoint (`OpenAIBackend`) needs nothing more.
"""

from lookalike.llm.backends import Backend, OpenAIBackend
from lookalike.llm.errors import (
    EndpointError,
    GenerationError,
    MissingExtraError,
    ModelNotFoundError,
)
from lookalike.llm.generate import Generated, GenerationReport, generate_rows
from lookalike.llm.local import LocalBackend
from lookalike.llm.run import generate_table, make_backend
from lookalike.llm.schema import ColumnSchema, TableSchema, response_json_schema, row_json_schema

__all__ = [
    "Backend",
    "ColumnSchema",
    "EndpointError",
    "Generated",
    "GenerationError",
    "GenerationReport",
    "LocalBackend",
    "MissingExtraError",
    "ModelNotFoundError",
    "OpenAIBackend",
    "TableSchema",
    "generate_rows",
    "generate_table",
    "make_backend",
    "response_json_schema",
    "row_json_schema",
]
