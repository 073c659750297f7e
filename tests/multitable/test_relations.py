"""Relationships worked out from join keys and data, and the errors for impossible ones."""

import pyarrow as pa
import pytest

from lookalike.errors import InvalidOptionError
from lookalike.multitable import KeyColumn, Relationship, infer_relationships


def _tables(**columns):
    return {name: pa.table(data) for name, data in columns.items()}


def test_the_table_holding_each_key_once_is_the_parent():
    tables = _tables(orders={"cid": [1, 1, 2, 3]}, customers={"cid": [1, 2, 3, 4]})
    found = infer_relationships(tables, [KeyColumn("orders", "cid"), KeyColumn("customers", "cid")])
    assert found == [Relationship("customers", "orders", "cid", "cid")]


def test_one_to_one_picks_the_table_with_more_keys_as_parent():
    tables = _tables(claims={"p": [1, 2, 3]}, customers={"p": [1, 2, 3, 4, 5]})
    found = infer_relationships(tables, [KeyColumn("claims", "p"), KeyColumn("customers", "p")])
    assert found == [Relationship("customers", "claims", "p", "p")]


def test_key_names_match_case_insensitively():
    tables = _tables(a={"ID": [1, 2]}, b={"id": [1, 1, 2]})
    found = infer_relationships(tables, [KeyColumn("a", "ID"), KeyColumn("b", "id")])
    assert found == [Relationship("a", "b", "ID", "id")]


def test_chains_and_several_children():
    tables = _tables(c={"cid": [1, 2]}, o={"cid": [1, 1, 2], "oid": [10, 11, 12]},
                     i={"oid": [10, 10, 11, 12]}, p={"cid": [1, 2, 2]})
    keys = [KeyColumn("c", "cid"), KeyColumn("o", "cid"), KeyColumn("o", "oid"),
            KeyColumn("i", "oid"), KeyColumn("p", "cid")]
    found = set(infer_relationships(tables, keys))
    assert found == {Relationship("c", "o", "cid", "cid"), Relationship("c", "p", "cid", "cid"),
                     Relationship("o", "i", "oid", "oid")}


def test_a_child_of_two_parents_has_one_primary_relationship():
    tables = _tables(orders={"oid": [1, 2]}, products={"pid": [7, 8]},
                     items={"oid": [1, 1, 2], "pid": [7, 8, 8]})
    keys = [KeyColumn("orders", "oid"), KeyColumn("products", "pid"),
            KeyColumn("items", "oid"), KeyColumn("items", "pid")]
    found = infer_relationships(tables, keys)
    assert [r.primary for r in found if r.child == "items"].count(True) == 1
    assert {(r.parent, r.primary) for r in found} == {("orders", True), ("products", False)}


def test_a_declared_parent_wins():
    tables = _tables(a={"k": [1, 2, 3]}, b={"k": [1, 2, 3, 4]})
    keys = [KeyColumn("a", "k"), KeyColumn("b", "k", parent="a")]
    assert infer_relationships(tables, keys) == [Relationship("a", "b", "k", "k")]


def test_a_declared_parent_that_repeats_keys_is_an_error():
    tables = _tables(a={"k": [1, 1, 2]}, b={"k": [1, 2]})
    with pytest.raises(InvalidOptionError, match="^join key k: the declared parent a holds some "
                       "values more than once"):
        infer_relationships(tables, [KeyColumn("a", "k"), KeyColumn("b", "k", parent="a")])


def test_contradictory_declarations_are_an_error():
    tables = _tables(a={"k": [1, 2]}, b={"k": [1, 2]})
    keys = [KeyColumn("a", "k", parent="b"), KeyColumn("b", "k", parent="a")]
    with pytest.raises(InvalidOptionError,
                       match="^join key k: declared parents contradict each other: a, b$"):
        infer_relationships(tables, keys)


def test_many_to_many_keys_are_an_error():
    tables = _tables(a={"k": [1, 1, 2]}, b={"k": [1, 2, 2]})
    with pytest.raises(InvalidOptionError, match=r"^join key k: no table holds each value once"):
        infer_relationships(tables, [KeyColumn("a", "k"), KeyColumn("b", "k")])


def test_cycles_are_an_error():
    tables = _tables(a={"x": [1, 2], "y": [1, 1]}, b={"x": [1, 1], "y": [1, 2]})
    keys = [KeyColumn("a", "x"), KeyColumn("b", "x"), KeyColumn("a", "y"), KeyColumn("b", "y")]
    with pytest.raises(InvalidOptionError, match="^the join keys form a cycle between a, b"):
        infer_relationships(tables, keys)
