"""The original question's softmax: one max and one sum over the whole batch (67% instead of 86%)."""
EXPECTED_FAILURES = {"test_softmax_rows", "test_softmax_stable", "test_softmax_values", "test_forward", "test_training"}
SOLUTIONS = {
    "np_softmax": '''
def np_softmax(l):
    exps = np.exp(l - np.max(l))
    return exps / np.sum(exps)
''',
}
