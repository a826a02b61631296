"""The penalty and its gradient include the bias column."""
EXPECTED_FAILURES = {"test_l2_penalty"}
EXPECTED_MESSAGES = {"test_l2_penalty": "np_l2_penalty includes the bias column"}
EDITS = {"np_l2_penalty": [("np.sum(a[:, 1:] ** 2)", "np.sum(a ** 2)"), ("    grad[:, 0] = 0.0\n", "")]}
