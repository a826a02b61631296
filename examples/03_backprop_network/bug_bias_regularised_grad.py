"""Gradient penalty lambda_/m * Theta on every column, bias columns included."""
EXPECTED_MESSAGES = {"test_backprop_regularised": "changes in its bias column"}
EXPECTED_FAILURES = {"test_backprop_regularised"}
EDITS = {
    "nnBackprop": [
        ('    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]', '    Theta1_grad += lambda_ / m * Theta1'),
        ('    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]', '    Theta2_grad += lambda_ / m * Theta2'),
    ],
}
