"""The categorical column model: rare categories are hidden, booleans and numbers are not pooled,
dictionaries keep their order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike import Synthesizer
from lookalike.columns import categorical
from lookalike.columns.categorical import RARE_CODE, RARE_VALUE

THRESHOLD = 5


def _fit(array: pa.Array, threshold: int = THRESHOLD) -> categorical.CategoricalModel:
    column = pa.chunked_array([array])
    return categorical.reduce([categorical.analyze(column)], array.type, threshold)


def _round_trip(array: pa.Array, threshold: int = THRESHOLD) -> pa.Array:
    model = _fit(array, threshold)
    return model.decode(model.encode(pa.chunked_array([array])), array.type,
                        np.random.default_rng(0))


def _with_rare() -> list[str | None]:
    """Three frequent categories, one seen exactly THRESHOLD times, and rare ones seen 1 to 4
    times (below THRESHOLD)."""
    values = ["red"] * 40 + ["green"] * 30 + ["blue"] * 20 + ["teal"] * THRESHOLD + [None] * 7
    rare = {"Ms A. Smith, 12 Elm St": 1, "ruby": 2, "jade": 3, "onyx": 4}
    for value, count in rare.items():
        values += [value] * count
    return values


RARE = {"Ms A. Smith, 12 Elm St", "ruby", "jade", "onyx"}


def test_rare_categories_come_out_as_the_rare_value():
    values = _with_rare()
    synthetic = _round_trip(pa.array(values)).to_pylist()
    assert not RARE & set(synthetic)
    expected = [RARE_VALUE if value in RARE else value for value in values]
    assert synthetic == expected


def test_a_category_seen_threshold_times_is_kept():
    model = _fit(pa.array(_with_rare()))
    assert "teal" in model.categories.to_pylist()
    assert model.rare_count == 1 + 2 + 3 + 4


def test_rare_categories_are_not_in_the_model_state():
    """A saved model holds no rare value: they are dropped in reduce."""
    state, arrays = _fit(pa.array(_with_rare())).to_state()
    assert not arrays
    assert set(state["categories"]) == {"red", "green", "blue", "teal"}
    assert not RARE & set(map(str, state.values()))


def test_rare_categories_never_appear_in_synthetic_rows():
    rng = np.random.default_rng(1)
    n = 500
    frame = pd.DataFrame({
        "colour": rng.choice(["red", "green", "blue"], n),
        "amount": np.round(rng.lognormal(3, 1, n), 2),
    })
    frame.loc[:3, "colour"] = ["Ms A. Smith, 12 Elm St", "ruby", "ruby", "jade"]
    model = Synthesizer(random_state=2).fit(frame)
    synthetic = model.sample(20 * n)
    produced = set(synthetic["colour"])
    assert not RARE & produced
    assert produced <= {"red", "green", "blue", RARE_VALUE}
    # the pooled rows are 4 of 500; the rare value comes out at about that rate, smoothed
    assert 0 < (synthetic["colour"] == RARE_VALUE).mean() < 0.02


def test_the_rare_category_threshold_parameter_is_used():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"size": rng.choice(["S", "M", "L"], 300, p=[0.6, 0.37, 0.03]),
                          "x": rng.normal(size=300)})
    small_count = int((frame["size"] == "L").sum())
    kept = Synthesizer(random_state=1, rare_category_threshold=small_count).fit(frame)
    pooled = Synthesizer(random_state=1, rare_category_threshold=small_count + 1).fit(frame)
    assert "L" in set(kept.sample(3_000)["size"])
    assert "L" not in set(pooled.sample(3_000)["size"])


def test_booleans_are_not_pooled():
    values = [False] * 200 + [True] * 2 + [None] * 3
    model = _fit(pa.array(values))
    assert model.rare_count == 0
    assert set(model.categories.to_pylist()) == {False, True}
    assert _round_trip(pa.array(values)).to_pylist() == values


def test_numbers_declared_categorical_are_not_pooled():
    values = [7] * 100 + [1_000_001] * 1
    model = _fit(pa.array(values, pa.int32()))
    assert model.rare_count == 0
    synthetic = _round_trip(pa.array(values, pa.int32()))
    assert synthetic.type == pa.int32()
    assert synthetic.to_pylist() == values


def test_rare_booleans_come_out_of_a_synthesizer():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"flag": [True] * 3 + [False] * 297, "x": rng.normal(size=300)})
    synthetic = Synthesizer(random_state=1).fit(frame).sample(10_000)
    assert synthetic["flag"].dtype == bool
    assert synthetic["flag"].any()


def test_codes_are_null_rare_then_most_frequent_first():
    model = _fit(pa.array(_with_rare()))
    codes = model.encode(pa.chunked_array([pa.array(["red", "green", None, "ruby", "unseen"])]))
    assert codes.tolist() == [2, 3, 0, RARE_CODE, RARE_CODE]
    assert model.n_codes == 2 + 4


def test_dictionary_columns_keep_type_and_values():
    values = ["b", "a", "c", None, "a"] * 30
    array = pa.array(values).dictionary_encode()
    synthetic = _round_trip(array)
    assert synthetic.type == array.type
    assert synthetic.to_pylist() == values


def test_ordered_categoricals_keep_their_order():
    """An ordered pandas Categorical (low < mid < high) comes out with the same categories in
    the same order, not in order of frequency or appearance."""
    rng = np.random.default_rng(5)
    levels = ["low", "mid", "high"]
    frame = pd.DataFrame({
        "risk": pd.Categorical(rng.choice(levels, 400, p=[0.2, 0.3, 0.5]), categories=levels,
                               ordered=True),
        "x": rng.normal(size=400),
    })
    synthetic = Synthesizer(random_state=1).fit(frame).sample(1_000)
    assert synthetic["risk"].dtype == frame["risk"].dtype
    assert list(synthetic["risk"].cat.categories) == levels
    assert (synthetic["risk"] < "high").mean() == pytest.approx(0.5, abs=0.06)


def test_unordered_categoricals_keep_their_dtype_in_small_samples():
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"c": pd.Categorical(rng.choice(["p", "q", "r"], 300)),
                          "x": rng.normal(size=300)})
    model = Synthesizer(random_state=1).fit(frame)
    for rows in (1, 500):  # zero rows: see test_synthesizer.py
        assert model.sample(rows)["c"].dtype == frame["c"].dtype


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e", "f"])),
                    min_size=1, max_size=200),
    threshold=st.integers(1, 10),
    dictionary=st.booleans(),
)
def test_decode_encode_keeps_type_nulls_and_frequent_values(values, threshold, dictionary):
    array = pa.array(values, pa.string())
    if dictionary:
        array = array.dictionary_encode()
    synthetic = _round_trip(array, threshold)
    assert synthetic.type == array.type
    counts = {value: values.count(value) for value in set(values) - {None}}
    expected = [value if value is None or counts[value] >= threshold else RARE_VALUE
                for value in values]
    assert synthetic.to_pylist() == expected


# -- declared labels (enums) -----------------------------------------------------------------

LABELS = ("red", "green", "blue", "teal", "ruby", "jade", "onyx", "unused")


def test_pooled_rows_of_an_enum_come_out_as_a_uniformly_drawn_label():
    """An enum cannot hold RARE_VALUE: pooled rows take one of its declared labels, uniformly,
    so the draw says no more than RARE_VALUE would (not which rare label the real rows had)."""
    values = [v for v in _with_rare() if v != "Ms A. Smith, 12 Elm St"]
    model = categorical.reduce([categorical.analyze(pa.chunked_array([pa.array(values)]))],
                               pa.string(), THRESHOLD, labels=LABELS)
    assert model.stand_ins.to_pylist() == list(LABELS)
    drawn = model.decode(np.full(80_000, RARE_CODE), pa.string(),
                         np.random.default_rng(0)).to_pylist()
    shares = pd.Series(drawn).value_counts(normalize=True)
    assert set(shares.index) == set(LABELS)
    assert np.allclose(shares.to_numpy(), 1 / len(LABELS), atol=0.01)  # not 2:3:4 as in reality


def test_an_enum_read_as_a_dictionary_gets_each_label_once():
    values = [v for v in _with_rare() if v != "Ms A. Smith, 12 Elm St"]
    array = pa.array(values).dictionary_encode()
    model = categorical.reduce([categorical.analyze(pa.chunked_array([array]))], array.type,
                               THRESHOLD, labels=LABELS)
    out = model.decode(model.encode(pa.chunked_array([array])), array.type,
                       np.random.default_rng(0))
    assert pa.types.is_dictionary(out.type)
    assert sorted(out.dictionary.to_pylist()) == sorted(LABELS)
    pooled = [o for o, v in zip(out.cast(pa.string()).to_pylist(), values, strict=True)
              if v in RARE]
    assert len(pooled) == 2 + 3 + 4 and set(pooled) <= set(LABELS)


def test_a_dictionary_without_labels_still_hides_rare_values():
    """A dictionary's values are not taken as declared: a Categorical's come from the data."""
    out = _round_trip(pa.array(["a"] * 10 + ["secret"]).dictionary_encode())
    assert out.cast(pa.string()).to_pylist()[-1] == RARE_VALUE
    assert "secret" not in out.dictionary.to_pylist()


def test_without_pooled_rows_labels_change_nothing():
    """Columns with no rare category draw exactly as before (the generator is not touched)."""
    array = pa.array(["red"] * 40 + ["green"] * 30)
    plain = _round_trip(array)
    model = categorical.reduce([categorical.analyze(pa.chunked_array([array]))], array.type,
                               THRESHOLD, labels=("red", "green", "unused"))
    labelled = model.decode(model.encode(pa.chunked_array([array])), array.type,
                            np.random.default_rng(0))
    assert labelled.equals(plain)


def test_labels_survive_save_and_load(tmp_path):
    frame = pd.DataFrame({"colour": ["red"] * 40 + ["green"] * 30 + ["ruby"] * 2,
                          "x": np.arange(72.0)})
    model = Synthesizer(random_state=0, columns={"colour": {"labels": list(LABELS)}}).fit(frame)
    path = tmp_path / "model.lookalike"
    model.save(path)
    loaded = Synthesizer.load(path)
    assert loaded.sample(500).equals(model.sample(500))
    assert RARE_VALUE not in set(loaded.sample(2_000)["colour"])
