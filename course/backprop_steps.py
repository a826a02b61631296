"""Backprop checked one tensor at a time against finite differences of the cost alone.

Assignment 3's learners write the cost ``nnLoss`` and, separately, the backward
pass ``nnBackprop``, which returns every intermediate tensor. This module turns
any cost function into finite-difference values of those tensors and compares
each on its own, naming the first one that disagrees (the "backprop by hand,
one tensor at a time" exercise of Karpathy's makemore). The comparison is
:func:`autograder.learner.checks.compare_steps`, the same as assignment 1's.

The finite-difference tensors themselves stay private: they are what
``nnBackprop`` computes, which assignment 3 grades as the learner's own.

The trick that needs no forward pass here: the bias unit of every layer is 1,
so for the cost of example ``t`` alone, ``d cost / d Theta2[k, 0]`` equals
``d cost / d z3[t, k]`` (``delta3[t, k]``) and ``d cost / d Theta1[j, 0]``
equals ``d cost / d z2[t, j]`` (``delta2[t, j]``).
"""

import numpy as np

from autograder.learner import checks
from course.gradient_check import _central_differences

#: The tensors ``nnBackprop`` returns, in order.
STEPS = ("delta3", "delta2", "Theta1_grad", "Theta2_grad")


def _step_references(loss, nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels, step=1e-4):
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
            deltas[name][t] = _central_differences(cost_of_bias, nn_params[index], step)
    grad = _central_differences(lambda p: loss(p, X, y, lambda_, n, h, K), nn_params, step)
    return {**deltas, "Theta1_grad": grad[:n1].reshape(h, n + 1), "Theta2_grad": grad[n1:].reshape(K, h + 1)}


def compare_steps(tensors, loss, nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels,
                  tol=1e-7):
    """Compare each of ``nnBackprop``'s tensors with finite differences of ``loss``, in the order of :data:`STEPS`.

    Parameters
    ----------
    tensors : sequence of 4 ndarrays
        What ``nnBackprop`` returned for the same arguments.
    loss, nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels
        As for ``nnLoss``: ``loss(nn_params, X, y, lambda_, n, h, K) -> float``.
    tol : float
        A tensor agrees when its relative error is below this.

    Returns
    -------
    rows : list of autograder.learner.checks.Step
        One per tensor; :func:`autograder.learner.checks.format_steps` prints them.
    first_wrong : str or None
        The first tensor (in backprop order) that disagrees.
    error_of : callable
        ``error_of(name, candidate)``: the relative error of any array against
        tensor ``name``'s finite-difference value, so that a hint can test a
        guess ("is it the sign?") without ever seeing the value.
    """
    references = _step_references(loss, nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels)
    rows, first_wrong = checks.compare_steps(
        [(name, tensor, references[name]) for name, tensor in zip(STEPS, tensors)], tol)

    def error_of(name, candidate):
        row, = checks.compare_steps([(name, candidate, references[name])])[0]
        return row.error if row.error is not None else float("inf")
    return rows, first_wrong, error_of
