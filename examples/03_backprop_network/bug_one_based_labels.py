"""One-hot built for 1-based labels, np.eye(num_labels)[y - 1]: every label is shifted by one."""
EXPECTED_FAILURES = {"test_nnCost_unregularised", "test_nnCost_regularised", "test_nnCost_grad", "test_nnCost_grad_regularised", "test_nnCost_sizes", "test_training"}
EDITS = {
    "nnCost": [
        ('Y = np.eye(num_labels)[y]',
         'Y = np.eye(num_labels)[y - 1]'),
    ],
}
