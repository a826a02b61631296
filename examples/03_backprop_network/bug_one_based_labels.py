"""One-hot built for 1-based labels, np.eye(num_labels)[y - 1]: every label is shifted by one."""
EXPECTED_MESSAGES = {"test_nnLoss_unregularised": "shifted by one"}
EXPECTED_FAILURES = {"test_nnLoss_unregularised", "test_nnLoss_regularised", "test_backprop_steps",
                     "test_training"}
_EDIT = [('Y = np.eye(num_labels)[y]', 'Y = np.eye(num_labels)[y - 1]')]
EDITS = {"nnLoss": _EDIT, "nnBackprop": _EDIT}
