"""The penalty leaves out the bias column, but its gradient does not."""
EXPECTED_FAILURES = {"test_l2_penalty"}
EXPECTED_MESSAGES = {"test_l2_penalty": "the bias column (column 0) is not in R"}
EDITS = {"np_l2_penalty": [("    grad[:, 0] = 0.0\n", "")]}
