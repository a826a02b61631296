"""A central difference divided by e instead of 2e: every entry twice too large."""
EXPECTED_MESSAGES = {"test_numgrad_values": "divide by 2*e, not by e"}
EXPECTED_FAILURES = {"test_numgrad_values", "test_numgrad_central"}
EDITS = {"computeNumericalGradient": [("flat_grad[i] = (plus - minus) / (2 * e)", "flat_grad[i] = (plus - minus) / e")]}
