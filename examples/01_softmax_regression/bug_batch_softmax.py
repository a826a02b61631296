"""The original question's softmax: one max and one sum over the whole batch (66% instead of 90% validation accuracy); forward and training, judged with a correct softmax, keep their points."""
EXPECTED_FAILURES = {"test_softmax_rows", "test_softmax_stable", "test_softmax_values"}
EXPECTED_MESSAGES = {"test_softmax_rows": "you divided by the sum over the whole batch"}
SOLUTIONS = {
    "np_softmax": '''
def np_softmax(l):
    exps = np.exp(l - np.max(l))
    return exps / np.sum(exps)
''',
}
