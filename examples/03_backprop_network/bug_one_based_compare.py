"""One-hot built as y == np.arange(1, num_labels + 1), for 1-based labels: label 0 gets no target."""
EXPECTED_MESSAGES = {"test_nnLoss_unregularised": "label 0 gets no target"}
EXPECTED_FAILURES = {"test_nnLoss_unregularised", "test_nnLoss_regularised", "test_backprop_steps",
                     "test_training"}
_EDIT = [('Y = np.eye(num_labels)[y]', 'Y = (y[:, None] == np.arange(1, num_labels + 1)).astype(float)')]
EDITS = {"nnLoss": _EDIT, "nnBackprop": _EDIT}
