"""Row-wise sums but one maximum for the whole batch: rows far below it underflow to 0/0."""
EXPECTED_FAILURES = {"test_softmax_stable"}
EXPECTED_MESSAGES = {"test_softmax_stable": "one maximum for the whole batch is not enough"}
EDITS = {"np_softmax": [("np.max(l, axis=1, keepdims=True)", "np.max(l)")]}
