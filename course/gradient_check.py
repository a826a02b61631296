"""Finite-difference checks of analytic gradients.

Every helper returns relative errors (or fails a check), never a
finite-difference gradient, publicly or privately: that is what assignment 2
grades as the learner's own ``computeNumericalGradient``.
"""

import numpy as np

from autograder.learner import checks


def _cost(value):
    """Accept both ``J(theta) -> cost`` and ``J(theta) -> (cost, grad)``."""
    return float(value[0] if isinstance(value, tuple) else value)


class _Reference:
    """The central differences of ``J`` at ``theta``, held back: only relative errors leave.

    Assignment 2 grades the learner's own ``computeNumericalGradient``, and
    assignment 3 the tensors of their backprop, so no helper here returns a
    finite-difference gradient, not even a private one (a course test checks):
    an instance answers "how far is this candidate from it?" and nothing else.
    """

    __slots__ = ("_value",)

    def __init__(self, J, theta, h):
        cost = lambda t: _cost(J(t))              # noqa: E731
        point = np.array(theta, dtype=np.float64)       # a private copy: the caller's array is never touched
        value = np.zeros_like(point)
        flat, flat_value = point.reshape(-1), value.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            plus = cost(point)
            flat[i] = old - h
            flat_value[i] = (plus - cost(point)) / (2 * h)
            flat[i] = old
        object.__setattr__(self, "_value", value)

    def error(self, candidate):
        """Relative error of ``candidate`` against the held-back value; ``inf`` if shapes differ or not finite."""
        row = checks.compare_steps([("grad", candidate, self._value)])[0][0]
        return row.error if row.error is not None else float("inf")


def gradient_error(J, theta, grad, h=1e-5):
    """Relative error of an analytic gradient against central differences of ``J``, on every coordinate.

    Parameters
    ----------
    J : callable
        Maps an array shaped like ``theta`` to a cost, or to ``(cost, grad)``
        like ``nnCost`` (only the cost is used).
    theta : ndarray
        Point of the check; any shape, left unchanged.
    grad : array_like
        The analytic gradient to check, same shape as ``theta``.
    h : float
        Step. Central differences have truncation error O(h^2) and round-off
        error O(eps / h), so the best step in float64 is near eps**(1/3) ~ 6e-6.

    Returns
    -------
    float
        ``||grad - n|| / max(||grad|| + ||n||, 1e-12)`` with ``n`` the central
        differences (:func:`autograder.learner.checks.relative_error`); ``inf`` when the
        shapes differ or ``grad`` is not finite.
    """
    return _Reference(J, theta, h).error(grad)


def check_gradient_steps(steps, threshold=1e-7, h=1e-5):
    """Check intermediate gradients one at a time against central differences; fail at the first wrong one.

    :func:`autograder.learner.checks.check_steps` with each reference computed here by
    central differences: it prints each tensor's relative error and names the
    first that disagrees, never the finite-difference values themselves.

    Parameters
    ----------
    steps : sequence of (name, yours, J, theta, hint)
        ``yours`` is the learner's gradient of the scalar function ``J`` at
        ``theta`` (same shape as ``theta``); ``hint`` names the likely mistake.
    threshold : float
        Largest relative error that passes.
    h : float
        Central-difference step.

    Returns
    -------
    list of float
        The relative error of each step.

    Raises
    ------
    autograder.learner.checks.CheckFailure
        At the first step that disagrees, as :func:`autograder.learner.checks.check_steps`.
    """
    return checks.check_steps([(name, yours, _Reference(J, theta, h)._value, hint)
                               for name, yours, J, theta, hint in steps], threshold)


def _unit_directions(size, n_directions, seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n_directions, size))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _point_and_gradient(theta, grad):
    """A private float64 copy of ``theta`` and ``grad`` flattened, checked to match in size."""
    theta = np.array(theta, dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64).reshape(-1)
    if grad.size != theta.size:
        raise ValueError(f"grad has {grad.size} entries but theta has {theta.size}")
    return theta, grad


def directional_check(J, theta, grad, n_directions=5, h=1e-5, seed=0):
    """Compare an analytic gradient with finite differences along random directions.

    For each random unit vector ``v`` the directional derivative ``grad . v`` is
    compared with ``(J(theta + h v) - J(theta - h v)) / (2 h)``. This costs
    ``2 * n_directions`` evaluations of ``J`` whatever the number of parameters,
    and a wrong entry anywhere in ``grad`` changes ``grad . v`` for almost every
    ``v`` (a random direction has a non-zero component on every coordinate).

    Parameters
    ----------
    J : callable
        Maps an array shaped like ``theta`` to a cost, or to ``(cost, grad)``.
    theta : ndarray
        Point of the check; any shape, left unchanged.
    grad : ndarray
        The analytic gradient to check, same shape as ``theta``.
    n_directions : int
        Number of random directions.
    h : float
        Step along each (unit) direction.
    seed : int
        Seed of the random directions.

    Returns
    -------
    ndarray, shape (n_directions,)
        ``|a - n| / (|a| + |n|)`` for each direction, with ``a = grad . v`` and
        ``n`` the finite difference (0 when both are 0).
    """
    theta, grad = _point_and_gradient(theta, grad)
    errors = np.empty(n_directions)
    for k, v in enumerate(_unit_directions(theta.size, n_directions, seed)):
        step = h * v.reshape(theta.shape)
        numerical = (_cost(J(theta + step)) - _cost(J(theta - step))) / (2 * h)
        analytic = float(grad @ v)
        denom = abs(analytic) + abs(numerical)
        errors[k] = abs(analytic - numerical) / denom if denom > 0 else 0.0
    return errors


def sparse_check(J, theta, grad, k=20, h=1e-5, seed=0):
    """Compare an analytic gradient with central differences on ``k`` random coordinates.

    Costs ``2 k`` evaluations of ``J``. Cheap, but it only sees the coordinates it
    draws: a bug confined to a few parameters (one bias column, say) is missed
    unless one of them is drawn.

    Parameters
    ----------
    J : callable
        Maps an array shaped like ``theta`` to a cost, or to ``(cost, grad)``.
    theta : ndarray
        Point of the check; any shape, left unchanged.
    grad : ndarray
        The analytic gradient to check, same shape as ``theta``.
    k : int
        Number of coordinates, drawn without replacement (at most ``theta.size``).
    h : float
        Step.
    seed : int
        Seed of the draw.

    Returns
    -------
    rel_error : float
        ``||a - n|| / (||a|| + ||n||)`` over the drawn coordinates (0 if both are 0).
    index : ndarray of int, shape (k,)
        The flat indices (C order) of the drawn coordinates.
    """
    theta, grad = _point_and_gradient(theta, grad)
    index = np.random.default_rng(seed).choice(theta.size, size=min(k, theta.size), replace=False)
    flat = theta.reshape(-1)
    numerical = np.empty(index.size)
    for j, i in enumerate(index):
        old = flat[i]
        flat[i] = old + h
        plus = _cost(J(theta))
        flat[i] = old - h
        minus = _cost(J(theta))
        flat[i] = old
        numerical[j] = (plus - minus) / (2 * h)
    analytic = grad[index]
    denom = np.linalg.norm(analytic) + np.linalg.norm(numerical)
    return (float(np.linalg.norm(analytic - numerical) / denom) if denom > 0 else 0.0), index
