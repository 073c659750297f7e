"""Step 2: the LLM route. Ten structure-valid customer rows written by the embedded language
model from the table's schema and a few example rows: valid types and categories, but not the
real statistics (that is the statistical route's job, step 3)."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from lookalike.demo.lab import NOTEBOOK, write_arrow
from lookalike.io.base import Connector, TableName

OUTPUT = "CUSTOMER_DATA_LLM"


def llm_customers(db: Connector, customers: pa.Table, rows: int, *, seed: int,
                  progress: bool, log: Callable[[str], None] | None = None
                  ) -> tuple[pa.Table, TableName]:
    """`rows` fake customers from the embedded model, written to NOTEBOOK.CUSTOMER_DATA_LLM."""
    from lookalike.llm import LocalBackend, generate_table

    if not progress:  # transformers draws its own bars while loading the model
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()
    result = generate_table(rows, backend=LocalBackend(log=log), data=customers, seed=seed,
                            progress=progress)
    return result.table, write_arrow(db, NOTEBOOK, OUTPUT, result.table)
