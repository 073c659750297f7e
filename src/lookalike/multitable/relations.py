"""Which tables are parents and which are children, worked out from the join keys and the data.

Tables that share a join-key column (by name, case-insensitively) are related. For each shared
key, the table holding each value at most once with the most distinct values is the *parent*;
the others are its *children* (one-to-one when a child holds each value once too, one-to-many
otherwise; parents without children and children without parent, "orphans", are both allowed).
Users may declare the parent instead (`"parent": "<input table>"` next to `join_key`), which
wins over inference and is checked against the data.

A child may have several parents (line items → orders, line items → products): the first in
dataset order is its *primary* parent, whose rows its rows are generated from; the others are
secondary, and their keys are dealt in proportion to how many children each parent has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from lookalike.errors import InvalidOptionError


@dataclass(frozen=True)
class Relationship:
    """`child.child_key` holds values of `parent.parent_key`."""

    parent: str
    child: str
    parent_key: str
    child_key: str
    primary: bool = True


@dataclass(frozen=True)
class KeyColumn:
    """A join-key column of one table, and the parent the user declared for it, if any."""

    table: str
    column: str
    parent: str | None = None


def infer_relationships(tables: Mapping[str, pa.Table], keys: Sequence[KeyColumn]
                        ) -> list[Relationship]:
    """The relationships between `tables` (in their mapping order) through `keys`."""
    by_name: dict[str, list[KeyColumn]] = {}
    for key in keys:
        by_name.setdefault(key.column.upper(), []).append(key)
    relationships = []
    for members in by_name.values():
        relationships.extend(_relate(tables, members))
    relationships = _mark_primary(relationships, list(tables))
    order_tables(list(tables), relationships)  # refuses cycles
    return relationships


def _relate(tables: Mapping[str, pa.Table], members: list[KeyColumn]) -> list[Relationship]:
    if len(members) < 2:
        return []
    declared = {m.parent for m in members if m.parent is not None}
    unique = [m for m in members if _is_unique(tables[m.table].column(m.column))]
    if len(declared) > 1:
        raise InvalidOptionError(
            f"join key {members[0].column}: declared parents contradict each other: "
            f"{', '.join(sorted(declared))}"
        )
    if declared:
        parent = _declared_parent(declared.pop(), members, tables)
    elif not unique:
        raise InvalidOptionError(
            f"join key {members[0].column}: no table holds each value once "
            f"({', '.join(m.table for m in members)}), so none can be the parent; many-to-many "
            f"keys are not supported: add the table of the entities they identify"
        )
    else:
        parent = max(unique, key=lambda m: _distinct(tables[m.table].column(m.column)))
    return [Relationship(parent.table, m.table, parent.column, m.column)
            for m in members if m is not parent]


def _declared_parent(name: str, members: list[KeyColumn], tables: Mapping[str, pa.Table]
                     ) -> KeyColumn:
    matches = [m for m in members if m.table == name]
    if not matches:
        raise InvalidOptionError(
            f"join key {members[0].column}: the declared parent {name} has no join key "
            f"{members[0].column}; it must be one of {', '.join(m.table for m in members)}"
        )
    parent = matches[0]
    column = tables[parent.table].column(parent.column)
    if not _is_unique(column):
        raise InvalidOptionError(
            f"join key {parent.column}: the declared parent {name} holds some values more than "
            f"once, so its rows cannot each be one entity; declare the table that holds each "
            f"value once"
        )
    for member in members:
        if member.parent is not None and member.table == name:
            raise InvalidOptionError(f"join key {parent.column}: {name} is declared its own parent")
    return parent


def _mark_primary(relationships: list[Relationship], table_order: list[str]
                  ) -> list[Relationship]:
    """The first relationship of each child (by its parent's position) is its primary one."""
    ranked = sorted(relationships, key=lambda r: (table_order.index(r.child),
                                                  table_order.index(r.parent)))
    seen: set[str] = set()
    marked = []
    for relationship in ranked:
        primary = relationship.child not in seen
        seen.add(relationship.child)
        marked.append(Relationship(relationship.parent, relationship.child,
                                   relationship.parent_key, relationship.child_key, primary))
    return marked


def order_tables(tables: list[str], relationships: Sequence[Relationship]) -> list[str]:
    """Parents before children; a cycle is an error."""
    ordered: list[str] = []
    remaining = list(tables)
    while remaining:
        ready = [t for t in remaining
                 if all(r.parent in ordered for r in relationships if r.child == t)]
        if not ready:
            raise InvalidOptionError(
                f"the join keys form a cycle between {', '.join(remaining)}: declare which "
                f"table is the parent"
            )
        ordered.extend(ready)
        remaining = [t for t in remaining if t not in ready]
    return ordered


def _is_unique(column: pa.ChunkedArray) -> bool:
    valid = column.drop_null()
    return _distinct(valid) == len(valid)


def _distinct(column: pa.ChunkedArray) -> int:
    return pc.count_distinct(column, mode="only_valid").as_py()
