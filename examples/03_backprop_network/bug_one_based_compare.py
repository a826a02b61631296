"""One-hot built as y == np.arange(1, num_labels + 1), for 1-based labels: label 0 gets no target."""
EXPECTED_FAILURES = {"test_nnCost_unregularised", "test_nnCost_regularised", "test_nnCost_grad", "test_nnCost_grad_regularised", "test_nnCost_sizes", "test_training"}
EDITS = {
    "nnCost": [
        ('Y = np.eye(num_labels)[y]',
         'Y = (y[:, None] == np.arange(1, num_labels + 1)).astype(float)'),
    ],
}
