"""Backprop checked one tensor at a time against finite differences of the cost alone.

Assignment 3's learners write the cost ``nnLoss`` and, separately, the backward
pass ``nnBackprop``, which returns every intermediate tensor. This module turns
any cost function into finite-difference values of those tensors and compares
each on its own, naming the first one that disagrees (the "backprop by hand,
one tensor at a time" exercise of Karpathy's makemore). The comparison is
:func:`autograder.learner.checks.compare_steps`, the same as assignment 1's.

The finite-difference tensors never leave :func:`compare_steps`: they are what
``nnBackprop`` computes, which assignment 3 grades as the learner's own, so
only relative errors come out (and ``error_of``, which tests a guess).

The convention, the same in every assignment: the loss is the mean over the
batch, and every tensor ``nnBackprop`` returns is a derivative of that mean
(plus the penalty, for the two gradients), so the deltas include the 1/m.

The trick that needs no forward pass here: the bias unit of every layer is 1,
so for the cost of example ``t`` alone, ``d cost / d Theta2[k, 0]`` equals
``d cost / d z3[t, k]`` and ``d cost / d Theta1[j, 0]`` equals
``d cost / d z2[t, j]``; divided by m, they are ``delta3[t, k]`` and
``delta2[t, j]``, the derivatives of the batch's mean loss.
"""

import numpy as np

from autograder.learner import checks
from course.gradient_check import _Reference

#: The tensors ``nnBackprop`` returns, in order.
STEPS = ("delta3", "delta2", "Theta1_grad", "Theta2_grad")


def compare_steps(tensors, loss, nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels,
                  tol=1e-7, step=1e-4):
    """Compare each of ``nnBackprop``'s tensors with finite differences of ``loss``, in the order of :data:`STEPS`.

    Parameters
    ----------
    tensors : sequence of 4 ndarrays
        What ``nnBackprop`` returned for the same arguments.
    loss, nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels
        As for ``nnLoss``: ``loss(nn_params, X, y, lambda_, n, h, K) -> float``.
    tol : float
        A tensor agrees when its relative error is below this.
    step : float
        Central-difference step.

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
    n, h, K = input_layer_size, hidden_layer_size, num_labels
    nn_params = np.array(nn_params, dtype=np.float64)
    n1 = h * (n + 1)
    m = len(X)
    bias = {"delta3": n1 + np.arange(K) * (h + 1),      # flat indices of Theta2[:, 0]
            "delta2": np.arange(h) * (n + 1)}           # flat indices of Theta1[:, 0]
    references = {name: np.empty((m, len(index))) for name, index in bias.items()}
    for t in range(m):
        for name, index in bias.items():
            def cost_of_bias(values, index=index, t=t):
                params = nn_params.copy()
                params[index] = values
                return loss(params, X[t:t + 1], y[t:t + 1], 0.0, n, h, K)
            # example t's own loss, differenced; / m: a derivative of the batch's mean loss
            references[name][t] = _Reference(cost_of_bias, nn_params[index], step)._value / m
    grad = _Reference(lambda p: loss(p, X, y, lambda_, n, h, K), nn_params, step)._value
    references["Theta1_grad"] = grad[:n1].reshape(h, n + 1)
    references["Theta2_grad"] = grad[n1:].reshape(K, h + 1)
    rows, first_wrong = checks.compare_steps(
        [(name, tensor, references[name]) for name, tensor in zip(STEPS, tensors)], tol)

    def error_of(name, candidate):
        row, = checks.compare_steps([(name, candidate, references[name])])[0]
        return row.error if row.error is not None else float("inf")
    return rows, first_wrong, error_of
