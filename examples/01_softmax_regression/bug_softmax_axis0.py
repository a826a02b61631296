"""Softmax normalised over axis=0, the examples, instead of axis=1, the classes."""
EXPECTED_FAILURES = {"test_softmax_rows", "test_softmax_stable", "test_softmax_values"}
EXPECTED_MESSAGES = {"test_softmax_rows": "you normalised over axis=0"}
SOLUTIONS = {
    "np_softmax": '''
def np_softmax(l):
    exps = np.exp(l - np.max(l, axis=0, keepdims=True))
    return exps / np.sum(exps, axis=0, keepdims=True)
''',
}
