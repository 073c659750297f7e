"""Related tables: relationships from join keys, pseudonymous keys, and joint generation."""

from lookalike.multitable.relations import KeyColumn, Relationship, infer_relationships
from lookalike.multitable.synthesizer import MultiTableSynthesizer

__all__ = ["KeyColumn", "MultiTableSynthesizer", "Relationship", "infer_relationships"]
