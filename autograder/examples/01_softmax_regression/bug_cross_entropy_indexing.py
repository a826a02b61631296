"""Cross-entropy that indexes p[:, y], a B x B block, instead of p[np.arange(B), y]."""
EXPECTED_FAILURES = {"test_cross_entropy"}
SOLUTIONS = {
    "np_cross_entropy": '''
def np_cross_entropy(p, y):
    return -np.mean(np.log(p[:, y]))
''',
}
