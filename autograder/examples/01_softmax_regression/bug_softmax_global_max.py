"""Row-wise sums but one maximum for the whole batch: rows far below it underflow to 0/0."""
EXPECTED_FAILURES = {"test_softmax_stable"}
SOLUTIONS = {
    "np_softmax": '''
def np_softmax(l):
    exps = np.exp(l - np.max(l))
    return exps / np.sum(exps, axis=1, keepdims=True)
''',
}
