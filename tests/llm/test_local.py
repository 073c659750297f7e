"""The embedded model end to end, offline: 100 rows of the customer table's schema, all valid."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from lookalike.io.files import read_table
from lookalike.llm import generate_table
from lookalike.llm.schema import TableSchema
from lookalike.llm.validate import coerce_row

pytestmark = pytest.mark.slow


def test_100_customer_rows_offline_all_valid(local_backend, customers_path, tmp_path):
    output = tmp_path / "customers.parquet"
    result = generate_table(100, backend=local_backend, data=customers_path, output=output,
                            seed=7)
    report = result.report
    print(f"\n[llm] embedded model, 100 customer rows: {report.summary()}, "
          f"validity {report.validity:.1%}")
    real = read_table(customers_path)
    schema = TableSchema.from_arrow(real, name="customer_data")
    written = pq.read_table(output)
    assert written.num_rows == 100 and written.schema.equals(schema.arrow_schema())
    assert written.schema.names == real.schema.names
    rows = written.to_pylist()
    assert len({tuple(row.values()) for row in rows}) == 100  # no duplicates
    for row in rows:  # every written row passes validation again: types, nulls, allowed values
        assert coerce_row(schema, {k: _plain(v) for k, v in row.items()})[1] == []
    real_rows = {tuple(row.values()) for row in real.to_pylist()}
    assert not real_rows & {tuple(row.values()) for row in rows}  # no real row copied
    assert report.invalid == 0, report.problems.most_common(5)


def test_same_seed_same_rows(local_backend):
    schema = TableSchema.from_dict({"table": "pets", "columns": [
        {"name": "name", "type": "VARCHAR(12)"},
        {"name": "species", "type": "VARCHAR", "values": ["cat", "dog", "parrot"]},
        {"name": "born", "type": "DATE", "nullable": True}]})
    first = generate_table(4, backend=local_backend, schema=schema, seed=3).table
    again = generate_table(4, backend=local_backend, schema=schema, seed=3).table
    assert first.equals(again) and first.num_rows == 4


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
