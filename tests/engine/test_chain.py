"""The chain of conditional trees: walking a tree, drawing by inverse transform, the residual
copula, and what a trained chain keeps."""

from __future__ import annotations

import numpy as np
import pytest

from lookalike.engine.chain import Chain, Conditional
from lookalike.engine.train import column_order, fit_conditional, train


def _copy_of_column_0() -> Conditional:
    """Column 1 given column 0 (both codes 0 or 1): a root that splits on column 0 at 0.5, a
    left leaf that always gives 0 and a right leaf that always gives 1."""
    return Conditional(
        target=1, n_codes=2,
        feature=np.array([0, -1, -1]), threshold=np.array([0.5, 0.0, 0.0]),
        left=np.array([1, -1, -1]), right=np.array([2, -1, -1]),
        leaf=np.array([-1, 0, 1]),
        cumulative=np.array([[1.0, 1.0], [0.0, 1.0]], dtype=np.float32),
    )


def _coin() -> Conditional:
    """Column 0 on its own: code 0 a quarter of the time, code 1 three quarters."""
    return Conditional(
        target=0, n_codes=2, feature=np.array([-1]), threshold=np.array([0.0]),
        left=np.array([-1]), right=np.array([-1]), leaf=np.array([0]),
        cumulative=np.array([[0.25, 1.0]], dtype=np.float32),
    )


def _independent_chain() -> Chain:
    return Chain([_coin(), _copy_of_column_0()], n_columns=2, copula=np.eye(2))


def test_apply_walks_the_tree_to_a_leaf():
    codes = np.array([[0, 9], [1, 9], [0, 9], [5, 9]])
    assert _copy_of_column_0().apply(codes).tolist() == [0, 1, 0, 1]


def test_sample_is_the_inverse_transform_of_the_uniforms():
    codes = np.zeros((4, 2), dtype=np.int32)
    drawn, inside = _coin().sample(codes, np.array([0.0, 0.1, 0.4, 0.625]))
    assert drawn.tolist() == [0, 0, 1, 1]
    # where each uniform falls inside its code's share: [0, 0.25] for 0, (0.25, 1] for 1
    assert inside == pytest.approx([0.0, 0.4, 0.2, 0.5], abs=1e-6)


def test_sample_follows_the_leaf_of_each_row():
    codes = np.array([[0, 0], [1, 0]] * 50)
    uniforms = np.random.default_rng(0).random(len(codes))
    drawn, inside = _copy_of_column_0().sample(codes, uniforms)
    assert np.array_equal(drawn, codes[:, 0])
    assert np.all((inside >= 0) & (inside < 1))


def test_chain_samples_columns_in_order_given_earlier_ones():
    codes, positions = _independent_chain().sample(20_000, np.random.default_rng(1))
    assert codes.shape == positions.shape == (20_000, 2)
    assert np.array_equal(codes[:, 1], codes[:, 0])
    assert codes[:, 0].mean() == pytest.approx(0.75, abs=0.015)
    assert np.all((positions >= 0) & (positions < 1))


@pytest.mark.parametrize("rows", [0, 1, 7])
def test_chain_samples_any_number_of_rows(rows):
    codes, positions = _independent_chain().sample(rows, np.random.default_rng(2))
    assert codes.shape == positions.shape == (rows, 2)


def test_conditional_state_round_trip():
    conditional = _copy_of_column_0()
    state, arrays = conditional.to_state()
    loaded = Conditional.from_state(state, arrays)
    codes = np.array([[0, 0], [1, 0]] * 10)
    uniforms = np.random.default_rng(3).random(len(codes))
    for got, expected in zip(loaded.sample(codes, uniforms), conditional.sample(codes, uniforms),
                             strict=True):
        assert np.array_equal(got, expected)


# -- trained chains ---------------------------------------------------------------------------

MAPPING = np.array([4, 2, 5, 0, 3, 1])
N_CODES = [6, 6, 10, 2]


def _codes_with_dependencies(rows: int = 4_000, seed: int = 0) -> np.ndarray:
    """Column 0: six categories; column 1: a fixed permutation of column 0; column 2: noise;
    column 3: a constant."""
    rng = np.random.default_rng(seed)
    first = rng.choice(6, rows, p=[0.3, 0.25, 0.2, 0.12, 0.08, 0.05])
    return np.column_stack([first, MAPPING[first], rng.integers(0, 10, rows),
                            np.full(rows, 1)]).astype(np.int32)


def _trained(codes: np.ndarray, seed: int = 0, **options) -> Chain:
    options = {"min_leaf": 20, "smoothing": 1.0, **options}
    return train(codes, N_CODES, rng=np.random.default_rng(seed), **options)


def _sample(chain: Chain, rows: int, seed: int) -> np.ndarray:
    codes, _ = chain.sample(rows, np.random.default_rng(seed))
    return codes


def test_column_order_puts_few_codes_first_ties_by_position():
    assert column_order([6, 6, 10, 2]) == [3, 0, 1, 2]
    assert column_order([3, 3, 3]) == [0, 1, 2]


def test_trained_chain_keeps_a_deterministic_mapping():
    synthetic = _sample(_trained(_codes_with_dependencies()), 10_000, seed=1)
    assert np.mean(synthetic[:, 1] == MAPPING[synthetic[:, 0]]) >= 0.95


def test_trained_chain_keeps_the_marginals():
    codes = _codes_with_dependencies()
    synthetic = _sample(_trained(codes), 20_000, seed=2)
    for column, n_codes in enumerate(N_CODES):
        real = np.bincount(codes[:, column], minlength=n_codes) / len(codes)
        fake = np.bincount(synthetic[:, column], minlength=n_codes) / len(synthetic)
        assert 0.5 * np.abs(real - fake).sum() < 0.03, column
    assert np.all(synthetic[:, 3] == 1)


def test_every_leaf_holds_at_least_min_leaf_training_rows():
    codes = _codes_with_dependencies()
    for min_leaf in (20, 300):
        for conditional in _trained(codes, min_leaf=min_leaf).conditionals:
            assert np.bincount(conditional.apply(codes)).min() >= min_leaf


def test_smoothing_gives_every_seen_code_a_chance_in_every_leaf():
    """No leaf is a lookup table: with smoothing, each leaf can draw every code the column has,
    and never a code the column does not have."""
    codes = _codes_with_dependencies()
    for conditional in _trained(codes, smoothing=1.0).conditionals:
        seen = np.bincount(codes[:, conditional.target], minlength=conditional.n_codes) > 0
        probabilities = np.diff(conditional.cumulative, axis=1, prepend=0.0)
        assert np.all(probabilities[:, seen] > 0)
        assert np.all(probabilities[:, ~seen] == 0)


def test_without_smoothing_a_deterministic_mapping_is_exact():
    synthetic = _sample(_trained(_codes_with_dependencies(), smoothing=0.0), 5_000, seed=3)
    assert np.array_equal(synthetic[:, 1], MAPPING[synthetic[:, 0]])


def test_training_is_deterministic_for_a_seed():
    codes = _codes_with_dependencies()
    first, second = _trained(codes, seed=5), _trained(codes, seed=5)
    for a, b in zip(first.conditionals, second.conditionals, strict=True):
        for name in ("feature", "threshold", "left", "right", "leaf", "cumulative"):
            assert np.array_equal(getattr(a, name), getattr(b, name))
    assert np.array_equal(first.copula, second.copula)
    assert np.array_equal(_sample(first, 1_000, 4), _sample(second, 1_000, 4))


def test_the_copula_is_the_cholesky_factor_of_a_correlation_matrix():
    chain = _trained(_codes_with_dependencies())
    factor = chain.copula
    assert factor.shape == (len(chain.conditionals),) * 2
    assert np.allclose(factor, np.tril(factor))
    assert np.allclose(np.diag(factor @ factor.T), 1.0)


def test_transform_puts_each_real_code_inside_its_own_probability():
    """The randomized probability integral transform of the training codes: each uniform lies
    in its code's interval of the leaf's distribution, and they are uniform overall."""
    codes = _codes_with_dependencies()
    chain = _trained(codes)
    for conditional in chain.conditionals:
        uniforms = conditional.transform(codes, np.random.default_rng(6))
        cumulative = conditional.cumulative[conditional.apply(codes)]
        observed = codes[:, conditional.target]
        high = cumulative[np.arange(len(codes)), observed]
        low = np.where(observed > 0, cumulative[np.arange(len(codes)), observed - 1], 0.0)
        assert np.all((low - 1e-6 <= uniforms) & (uniforms <= high + 1e-6))
        assert np.histogram(uniforms, bins=4, range=(0, 1))[0].min() > len(codes) / 4 * 0.85


def test_a_constant_column_is_a_single_leaf():
    codes = _codes_with_dependencies()
    conditional = fit_conditional(codes, 3, [0, 1], 2, min_leaf=5, smoothing=1.0, seed=0)
    assert conditional.left.tolist() == [-1]
    drawn, _ = conditional.sample(codes, np.random.default_rng(0).random(len(codes)))
    assert drawn.tolist() == [1] * len(codes)


def test_on_column_is_called_for_every_column_in_order():
    seen = []
    train(_codes_with_dependencies(500), N_CODES, min_leaf=10, smoothing=1.0,
          rng=np.random.default_rng(0), on_column=seen.append)
    assert seen == column_order(N_CODES)
