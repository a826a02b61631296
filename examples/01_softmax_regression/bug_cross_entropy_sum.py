"""Cross-entropy summed over the batch instead of averaged."""
EXPECTED_FAILURES = {"test_cross_entropy"}
EXPECTED_MESSAGES = {"test_cross_entropy": "the sum over the batch: take the mean"}
EDITS = {"np_cross_entropy": [("-np.mean(", "-np.sum(")]}
