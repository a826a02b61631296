"""course.gradient_check: the finite-difference tools the notebooks compare gradients with."""

import numpy as np
import pytest

from autograder.learner.checks import CheckFailure
from course.gradient_check import (
    _Reference,
    check_gradient_steps,
    directional_check,
    gradient_error,
    sparse_check,
)

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
def test_central_differences_are_central_and_keep_theta(J):
    theta = THETA.copy()
    reference = _Reference(J, theta, 1e-5)
    assert reference.error(grad(THETA)) < 1e-9
    assert reference.error(grad(THETA).ravel()) == np.inf               # its shape is theta's
    assert np.array_equal(theta, THETA)
    # central differences: a 10x smaller step shrinks the truncation error about 100x
    cube = lambda t: float(np.sum(t ** 3))
    err = [_Reference(cube, theta, h).error(3 * theta ** 2) for h in (1e-2, 1e-3)]
    assert 80 < err[0] / err[1] < 120


def test_no_public_helper_hands_out_a_finite_difference_gradient():
    # assignment 2 grades computeNumericalGradient as the learner's own: the module offers only verdicts
    import course.gradient_check as module
    public = {name for name in vars(module) if not name.startswith("_") and callable(getattr(module, name))}
    assert public == {"check_gradient_steps", "directional_check", "gradient_error", "sparse_check"}, public
    # nor does a private one: the central differences stay inside an object that answers with errors only
    private = {name for name in vars(module) if name.startswith("_") and not name.startswith("__")
               and callable(getattr(module, name))}
    assert private == {"_cost", "_Reference", "_unit_directions", "_point_and_gradient"}, private
    assert {name for name in vars(module._Reference) if not name.startswith("__")} == {"_value", "error"}


def test_gradient_error_passes_a_right_gradient_and_flags_a_wrong_one():
    theta = THETA.copy()
    assert gradient_error(cost, theta, grad(THETA)) < 1e-8
    assert np.array_equal(theta, THETA)
    wrong = grad(THETA).copy()
    wrong[1, 2] += 0.1
    assert gradient_error(cost, theta, wrong) > 1e-3
    assert gradient_error(cost, theta, np.zeros(5)) == np.inf               # wrong shape
    assert gradient_error(cost, theta, np.full_like(THETA, np.nan)) == np.inf


def test_check_gradient_steps_names_the_first_wrong_step_and_prints_only_errors(capsys):
    steps = [("dfirst", grad(THETA), cost, THETA, "first hint"),
             ("dsecond", 2 * grad(THETA), cost, THETA, "second hint"),
             ("dthird", 3 * grad(THETA), cost, THETA, "never reached")]
    assert len(check_gradient_steps(steps[:1])) == 1
    with pytest.raises(CheckFailure) as info:
        check_gradient_steps(steps)
    message = str(info.value)
    assert message.startswith("dsecond is the first tensor that disagrees: relative error 3.3e-01")
    assert "second hint" in message and "never reached" not in message
    printed = capsys.readouterr().out
    assert "dfirst: relative error" in printed and "dthird" not in printed


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
