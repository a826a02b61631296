"""The penalty without its 1/2: lambda times the sum of squares."""
EXPECTED_FAILURES = {"test_l2_penalty"}
EXPECTED_MESSAGES = {"test_l2_penalty": "np_l2_penalty is twice too large"}
EDITS = {"np_l2_penalty": [("return lambda_ / 2 * np.sum", "return lambda_ * np.sum")]}
