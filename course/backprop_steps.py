"""Backprop checked one tensor at a time against finite differences of the cost alone.

Assignment 3's learners write the cost ``nnLoss`` and, separately, the backward
pass ``nnBackprop``, which returns every intermediate tensor. This module turns
any cost function into finite-difference values of those tensors, so each can
be compared on its own and the first one that disagrees can be named (the
"backprop by hand, one tensor at a time" exercise of Karpathy's makemore).

The trick that needs no forward pass here: the bias unit of every layer is 1,
so for the cost of example ``t`` alone, ``d cost / d Theta2[k, 0]`` equals
``d cost / d z3[t, k]`` (``delta3[t, k]``) and ``d cost / d Theta1[j, 0]``
equals ``d cost / d z2[t, j]`` (``delta2[t, j]``).
"""

import numpy as np

from course.gradient_check import numerical_gradient

#: The tensors ``nnBackprop`` returns, in order.
STEPS = ("delta3", "delta2", "Theta1_grad", "Theta2_grad")


def step_references(loss, nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels, step=1e-4):
    """Finite-difference values of ``delta3``, ``delta2`` and both gradients.

    Parameters
    ----------
    loss : callable
        ``loss(nn_params, X, y, lambda_, n, h, K) -> float``, the regularised
        cost averaged over the rows of ``X`` (assignment 3's ``nnLoss``).
    nn_params : ndarray, shape (h*(n+1) + K*(h+1),)
        Theta1 (h, n+1) and Theta2 (K, h+1) unrolled in C order; left unchanged.
    X : ndarray, shape (m, n)
    y : ndarray of int, shape (m,)
    lambda_ : float
        Used for the two gradients; the deltas are those of the unregularised
        cost of each example.
    input_layer_size, hidden_layer_size, num_labels : int
        n, h and K.
    step : float
        Central-difference step.

    Returns
    -------
    dict
        ``delta3`` (m, K) and ``delta2`` (m, h): the derivative of example t's
        own cost with respect to z3[t] and z2[t]; ``Theta1_grad`` (h, n+1) and
        ``Theta2_grad`` (K, h+1): the derivative of the cost of the whole batch.
    """
    n, h, K = input_layer_size, hidden_layer_size, num_labels
    nn_params = np.array(nn_params, dtype=np.float64)
    n1 = h * (n + 1)
    m = len(X)
    bias1 = np.arange(h) * (n + 1)                 # flat indices of Theta1[:, 0]
    bias2 = n1 + np.arange(K) * (h + 1)            # flat indices of Theta2[:, 0]
    deltas = {"delta3": np.empty((m, K)), "delta2": np.empty((m, h))}
    for t in range(m):
        for name, index in (("delta3", bias2), ("delta2", bias1)):
            def cost_of_bias(values, index=index, t=t):
                params = nn_params.copy()
                params[index] = values
                return loss(params, X[t:t + 1], y[t:t + 1], 0.0, n, h, K)
            deltas[name][t] = numerical_gradient(cost_of_bias, nn_params[index], h=step)
    grad = numerical_gradient(lambda p: loss(p, X, y, lambda_, n, h, K), nn_params, h=step)
    return {**deltas, "Theta1_grad": grad[:n1].reshape(h, n + 1), "Theta2_grad": grad[n1:].reshape(K, h + 1)}


def _relative_error(a, b):
    """``||a - b|| / (||a|| + ||b||)``, 0 when both are 0, inf when either holds nan or inf."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("inf")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom > 0 else 0.0


def compare_steps(tensors, references, tol=1e-7):
    """Compare each tensor with its reference, in the order of :data:`STEPS`.

    Parameters
    ----------
    tensors : sequence of 4 ndarrays
        What ``nnBackprop`` returned.
    references : dict
        From :func:`step_references`.
    tol : float
        Largest relative error that counts as agreement.

    Returns
    -------
    rows : list of (name, shape, expected_shape, relative_error or None)
        ``None`` when the shapes differ.
    first_wrong : str or None
        The first tensor (in backprop order) that disagrees.
    """
    rows, first_wrong = [], None
    for name, tensor in zip(STEPS, tensors):
        expected = references[name]
        shape = np.shape(tensor)
        err = _relative_error(tensor, expected) if shape == expected.shape else None
        rows.append((name, shape, expected.shape, err))
        if first_wrong is None and (err is None or not err <= tol):   # nan disagrees too
            first_wrong = name
    return rows, first_wrong


def format_steps(rows, tol=1e-7):
    """The rows of :func:`compare_steps` as a table, one tensor per line."""
    lines = []
    for name, shape, expected_shape, err in rows:
        if err is None:
            lines.append(f"{name:12s} shape {shape}, expected {expected_shape}   WRONG SHAPE")
        else:
            lines.append(f"{name:12s} shape {str(shape):9s} relative error {err:.1e}   {'ok' if err <= tol else 'DISAGREES'}")
    return "\n".join(lines)
