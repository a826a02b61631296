"""The gradient step leaves out the penalty's gradient: lambda_ has no effect on training."""
EXPECTED_FAILURES = {"test_training"}
EXPECTED_MESSAGES = {"test_training": "the step leaves out the gradient of the penalty R"}
EDITS = {"NumpyLogisticRegression": [(" + np_l2_penalty_grad(self.A, self.lambda_)", "")]}
