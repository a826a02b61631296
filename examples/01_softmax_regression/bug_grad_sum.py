"""Gradient of the summed loss (no division by B): B times too large."""
EXPECTED_FAILURES = {"test_cross_entropy_grad"}
EXPECTED_MESSAGES = {"test_cross_entropy_grad": "np_cross_entropy_grad is B = 3 times too large"}
EDITS = {"np_cross_entropy_grad": [("return delta.T @ x / B", "return delta.T @ x")]}
