"""Regularised cost, but the gradient has no penalty term."""
EXPECTED_FAILURES = {"test_nnCost_grad_regularised", "test_nnCost_sizes"}
EDITS = {
    "nnCost": [
        ('    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]\n    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]\n',
         ''),
    ],
}
