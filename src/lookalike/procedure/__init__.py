"""GENERATE_SYNTHETIC_DATA, the warehouse procedure lookalike re-implements, on embedded DuckDB.

Steps, one module each: `config` (parse and check the configuration's shape), `checks` (check it
against the database), `generate` (learn, stage, publish), `metrics` (what the call returns).
"""

from lookalike.procedure.generate import generate_synthetic_data

__all__ = ["generate_synthetic_data"]
