"""Regularised cost, but the gradient has no penalty term."""
EXPECTED_MESSAGES = {"test_backprop_regularised": "does not change with lambda_"}
EXPECTED_FAILURES = {"test_backprop_regularised"}
EDITS = {
    "nnBackprop": [
        ('    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]  # the penalty\'s derivative; 0 on the bias columns\n'
         '    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]\n', ''),
    ],
}
