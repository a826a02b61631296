"""course.gradient_check: the finite-difference tools the notebooks compare gradients with."""

import numpy as np
import pytest

from course.gradient_check import directional_check, numerical_gradient, sparse_check

A = np.random.default_rng(0).normal(size=(6, 6))
A = A + A.T


def cost(t):
    """A smooth, non-separable cost of a (2, 3) array, with its exact gradient."""
    v = t.ravel()
    return float(np.sum(np.sin(v)) + 0.5 * v @ A @ v)


def grad(t):
    v = t.ravel()
    return (np.cos(v) + A @ v).reshape(t.shape)


THETA = np.random.default_rng(1).normal(size=(2, 3))


@pytest.mark.parametrize("J", [cost, lambda t: (cost(t), np.zeros(3))], ids=["number", "tuple"])
def test_numerical_gradient_is_central_and_keeps_theta(J):
    theta = THETA.copy()
    g = numerical_gradient(J, theta)
    assert g.shape == theta.shape
    assert np.allclose(g, grad(THETA), rtol=1e-8, atol=1e-9)
    assert np.array_equal(theta, THETA)
    # central differences: a 10x smaller step shrinks the truncation error about 100x
    cube = lambda t: float(np.sum(t ** 3))
    err = [np.abs(numerical_gradient(cube, theta, h=h) - 3 * theta ** 2).max() for h in (1e-2, 1e-3)]
    assert 80 < err[0] / err[1] < 120


def test_directional_check_passes_a_correct_gradient_and_flags_wrong_ones():
    theta = THETA.copy()
    ok = directional_check(cost, theta, grad(THETA), n_directions=8, seed=3)
    assert ok.shape == (8,) and ok.max() < 1e-8
    assert np.array_equal(theta, THETA)
    for i in range(theta.size):                          # a 10% error in any single entry is seen
        wrong = grad(THETA).ravel().copy()
        wrong[i] *= 1.1
        assert directional_check(cost, theta, wrong.reshape(theta.shape), n_directions=3, seed=3).max() > 1e-4
    assert np.all(directional_check(cost, theta, -grad(THETA), n_directions=3) > 0.99)


def test_directional_check_is_reproducible_and_rejects_mismatched_sizes():
    a = directional_check(cost, THETA, grad(THETA) * 1.01, n_directions=4, seed=7)
    b = directional_check(cost, THETA, grad(THETA) * 1.01, n_directions=4, seed=7)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError):
        directional_check(cost, THETA, np.zeros(5))


def test_directional_check_of_a_flat_cost_is_zero_not_nan():
    assert np.array_equal(directional_check(lambda t: 1.0, THETA, np.zeros_like(THETA), n_directions=2), [0.0, 0.0])


def test_sparse_check_sees_only_the_coordinates_it_draws():
    theta = THETA.copy()
    err, index = sparse_check(cost, theta, grad(THETA), k=4, seed=5)
    assert err < 1e-8 and np.array_equal(theta, THETA)
    assert index.shape == (4,) and len(set(index.tolist())) == 4
    drawn, missed = index[0], sorted(set(range(theta.size)) - set(index.tolist()))[0]
    for i, seen in [(drawn, True), (missed, False)]:
        wrong = grad(THETA).ravel().copy()
        wrong[i] += 1.0
        err, again = sparse_check(cost, theta, wrong.reshape(theta.shape), k=4, seed=5)
        assert np.array_equal(again, index)
        assert (err > 1e-3) == seen
    err, index = sparse_check(cost, theta, grad(THETA), k=100)
    assert sorted(index.tolist()) == list(range(theta.size))  # k is capped at the number of parameters
