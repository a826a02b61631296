"""Finite-difference gradients, the reference the course checks analytic gradients against."""

import numpy as np


def _cost(value):
    """Accept both ``J(theta) -> cost`` and ``J(theta) -> (cost, grad)``."""
    return float(value[0] if isinstance(value, tuple) else value)


def numerical_gradient(J, theta, h=1e-5):
    """Central-difference gradient of a scalar function.

    Parameters
    ----------
    J : callable
        Maps an array shaped like ``theta`` to a cost, or to ``(cost, grad)``
        like ``nnCost``.
    theta : ndarray
        Point at which to differentiate; any shape, left unchanged.
    h : float
        Step. Central differences have truncation error O(h^2) and round-off
        error O(eps / h), so the best step in float64 is near eps**(1/3) ~ 6e-6.

    Returns
    -------
    ndarray
        Same shape as ``theta``: ``(J(theta + h e_i) - J(theta - h e_i)) / (2 h)``.
    """
    theta = np.array(theta, dtype=np.float64)  # a private copy: the caller's array is never touched
    grad = np.zeros_like(theta)
    flat, flat_grad = theta.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = _cost(J(theta))
        flat[i] = old - h
        minus = _cost(J(theta))
        flat[i] = old
        flat_grad[i] = (plus - minus) / (2 * h)
    return grad
