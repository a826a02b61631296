"""Row-wise softmax without subtracting the maximum: overflows on large logits."""
EXPECTED_FAILURES = {"test_softmax_stable"}
EXPECTED_MESSAGES = {"test_softmax_stable": "subtract each row's own maximum"}
EDITS = {"np_softmax": [("shifted = l - np.max(l, axis=1, keepdims=True)", "shifted = l")]}
