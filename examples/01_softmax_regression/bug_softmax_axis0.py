"""Softmax normalised over axis=0, the examples, instead of axis=1, the classes."""
EXPECTED_FAILURES = {"test_softmax_rows", "test_softmax_stable", "test_softmax_values", "test_forward", "test_training"}
SOLUTIONS = {
    "np_softmax": '''
def np_softmax(l):
    exps = np.exp(l - np.max(l, axis=0, keepdims=True))
    return exps / np.sum(exps, axis=0, keepdims=True)
''',
}
