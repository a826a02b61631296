"""Cross-entropy summed over the batch instead of averaged."""
EXPECTED_FAILURES = {"test_cross_entropy"}
SOLUTIONS = {
    "np_cross_entropy": '''
def np_cross_entropy(p, y):
    return -np.sum(np.log(p[np.arange(len(y)), y]))
''',
}
