"""The gradient step adds the gradient: training climbs the loss."""
EXPECTED_FAILURES = {"test_training"}
EXPECTED_MESSAGES = {"test_training": "the weights moved up the gradient"}
EDITS = {"NumpyLogisticRegression": [("self.A = self.A - self.learning_rate * grad_A",
                                      "self.A = self.A + self.learning_rate * grad_A")]}
