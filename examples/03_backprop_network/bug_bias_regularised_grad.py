"""Gradient penalty lambda_/m * Theta on every column, bias columns included."""
EXPECTED_FAILURES = {"test_nnCost_grad_regularised", "test_nnCost_sizes"}
EDITS = {
    "nnCost": [
        ('    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]\n    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]',
         '    Theta1_grad += lambda_ / m * Theta1\n    Theta2_grad += lambda_ / m * Theta2'),
    ],
}
