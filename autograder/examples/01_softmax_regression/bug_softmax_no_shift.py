"""Row-wise softmax without subtracting the maximum: overflows on large logits."""
EXPECTED_FAILURES = {"test_softmax_stable"}
SOLUTIONS = {
    "np_softmax": '''
def np_softmax(l):
    exps = np.exp(l)
    return exps / np.sum(exps, axis=1, keepdims=True)
''',
}
