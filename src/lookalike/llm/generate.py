"""The generation loop: ask a backend for rows in batches, keep only valid new rows, stop when
the requested count is met or when the model keeps failing."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from lookalike.errors import InvalidOptionError
from lookalike.llm.backends import Backend
from lookalike.llm.errors import GenerationError
from lookalike.llm.prompt import build_messages
from lookalike.llm.schema import TableSchema, response_json_schema
from lookalike.llm.validate import coerce_row, parse_answer
from lookalike.progress import progress_bar


@dataclass
class GenerationReport:
    """What happened: rows asked for and kept, calls made, what was thrown away and why."""

    rows: int = 0
    calls: int = 0
    candidates: int = 0
    invalid: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    problems: Counter = field(default_factory=Counter)

    @property
    def validity(self) -> float:
        """The share of the model's candidate rows that passed validation."""
        return 1.0 - self.invalid / self.candidates if self.candidates else 1.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        text = (f"{self.rows} rows in {self.seconds:.1f} s ({self.rows_per_second:.2f} rows/s), "
                f"{self.calls} calls; {self.candidates} candidate rows, {self.invalid} invalid, "
                f"{self.duplicates} duplicates")
        return text


@dataclass
class Generated:
    table: pa.Table
    report: GenerationReport


def generate_rows(schema: TableSchema, rows: int, *, backend: Backend,
                  examples: list[dict[str, Any]] | None = None, batch_size: int | None = None,
                  temperature: float = 1.0, seed: int | None = None, max_failures: int = 5,
                  progress: bool = False) -> Generated:
    """`rows` distinct valid rows of `schema` from `backend`, as an Arrow table of the schema's
    types. A call that yields no new valid row is a failure; after `max_failures` of them in a
    row, GenerationError says what the model kept doing wrong."""
    if not isinstance(rows, int) or rows < 0:
        raise InvalidOptionError(f"rows must be a whole number >= 0, not {rows!r}")
    rng = np.random.default_rng(seed)
    batch_size = batch_size or (20 if backend.hosted else 48)
    examples = list(examples or [])
    copied = {coerce_row(schema, example)[0] for example in examples} - {None}
    kept: dict[tuple[Any, ...], None] = {}
    report, failures, start = GenerationReport(), 0, time.perf_counter()
    with progress_bar("generating rows with the LLM", rows, progress) as advance:
        while len(kept) < rows:
            wanted = min(batch_size, rows - len(kept))
            shown = [examples[i] for i in rng.permutation(len(examples))]
            text = backend.complete(build_messages(schema, shown, wanted),
                                    json_schema=response_json_schema(schema, wanted),
                                    temperature=temperature, max_tokens=_max_tokens(schema, wanted),
                                    seed=int(rng.integers(2**31)))
            report.calls += 1
            added = _keep(schema, text, kept, copied, rows, report)
            advance(added)
            failures = 0 if added else failures + 1
            if failures >= max_failures:
                raise GenerationError(_give_up(report, len(kept), rows, max_failures))
    report.rows, report.seconds = len(kept), time.perf_counter() - start
    return Generated(_to_arrow(schema, list(kept)), report)


def _keep(schema: TableSchema, text: str, kept: dict, copied: set, rows: int,
          report: GenerationReport) -> int:
    candidates, problem = parse_answer(text)
    if problem:
        report.problems[problem] += 1
    before = len(kept)
    for candidate in candidates:
        report.candidates += 1
        row, problems = coerce_row(schema, candidate)
        if row is None:
            report.invalid += 1
            report.problems.update(problems)
        elif row in kept or row in copied:
            report.duplicates += 1
        elif len(kept) < rows:
            kept[row] = None
    return len(kept) - before


def _give_up(report: GenerationReport, have: int, rows: int, failures: int) -> str:
    common = "; ".join(f"{problem} ({count}x)" for problem, count in
                       report.problems.most_common(3))
    reason = f"most common problems: {common}" if common else (
        "every row it wrote was a duplicate: the schema may not allow that many distinct rows")
    return (f"the model answered {failures} times in a row without a new valid row; stopped "
            f"with {have} of {rows} rows ({report.invalid} invalid, {report.duplicates} "
            f"duplicates); {reason}")


def _max_tokens(schema: TableSchema, rows: int) -> int:
    return 200 + rows * (10 + 16 * len(schema.columns))


def _to_arrow(schema: TableSchema, rows: list[tuple[Any, ...]]) -> pa.Table:
    arrow = schema.arrow_schema()
    columns = [pa.array([row[i] for row in rows], type=arrow.field(i).type)
               for i in range(len(arrow))]
    return pa.Table.from_arrays(columns, schema=arrow)
