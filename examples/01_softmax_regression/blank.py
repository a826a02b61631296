"""The untouched release: nothing written, so no test passes and the written answers score 0."""
BLANK = True
EXPECTED_FAILURES = {
    "test_np_linear", "test_softmax_rows", "test_softmax_stable", "test_softmax_values",
    "test_cross_entropy", "test_dlogits", "test_cross_entropy_grad_naive", "test_cross_entropy_grad", "test_l2_penalty", "test_forward", "test_training",
}
