"""The original question's penalty: - np.subtract(b1, b2) adds the Theta2 bias sum instead of removing it."""
EXPECTED_MESSAGES = {"test_nnLoss_regularised": "np.subtract(a, b), which is a - b"}
EXPECTED_FAILURES = {"test_nnLoss_regularised"}
EDITS = {
    "nnLoss": [
        ('penalty = np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2)',
         'penalty = (np.sum(Theta1 * Theta1) + np.sum(Theta2 * Theta2)\n'
         '               - np.subtract(Theta1[:, 0].T @ Theta1[:, 0], Theta2[:, 0].T @ Theta2[:, 0]))'),
    ],
}
