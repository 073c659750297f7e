import pytest

from lookalike.demo.lab import DATA, NOTEBOOK, catalog, load_lab, open_database
from lookalike.errors import NotYetSupportedError


def test_the_demo_creates_its_duckdb_database_and_loads_the_lab(tmp_path):
    target = tmp_path / "new" / "BUILD_LONDON_25.duckdb"
    with open_database(f"duckdb:///{target}", tmp_path) as db:
        tables = load_lab(db)
        assert catalog(db) == "BUILD_LONDON_25"
        assert {(t.schema, t.table) for t in tables.values()} == {
            (DATA, "CLAIM_DATA"), (DATA, "CUSTOMER_DATA"), (DATA, "CLAIM_DATA_NEW")}
        assert {t.schema for t in db.tables()} == {DATA}
        assert db.find_table(f"{NOTEBOOK}.ANYTHING") is None
        types = dict(db.columns(tables["CUSTOMER_DATA"]))
        assert types["POLICY_START_DATE"] == "DATE"
        assert db.row_count(tables["CLAIM_DATA"]) == 1000
    assert target.is_file()


def test_other_engines_are_refused_with_a_clear_message(tmp_path):
    with pytest.raises(NotYetSupportedError, match="the demo runs on DuckDB or PostgreSQL, "
                                                   "not sqlite"):
        open_database(f"sqlite:///{tmp_path / 'lab.db'}", tmp_path)
