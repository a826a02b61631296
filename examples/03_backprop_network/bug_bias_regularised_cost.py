"""Penalty over all of Theta1 and Theta2, bias columns included, in the cost."""
EXPECTED_MESSAGES = {"test_nnLoss_regularised": "your penalty includes the bias columns"}
EXPECTED_FAILURES = {"test_nnLoss_regularised"}
EDITS = {
    "nnLoss": [
        ('penalty = np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2)',
         'penalty = np.sum(Theta1 ** 2) + np.sum(Theta2 ** 2)'),
    ],
}
