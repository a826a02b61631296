"""Gradient of the summed loss (no division by B): B times too large."""
EXPECTED_FAILURES = {"test_cross_entropy_grad", "test_training"}
EDITS = {"np_cross_entropy_grad": [("return delta.T @ x / B", "return delta.T @ x")]}
