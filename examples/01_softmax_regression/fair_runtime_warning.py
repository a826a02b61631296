"""Correct, but takes the log of every probability (a RuntimeWarning where one is 0) before picking: full marks."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "np_cross_entropy": '''
def np_cross_entropy(p, y):
    log_p = np.log(p)  # -inf, with a RuntimeWarning, where p is 0; those entries are never picked
    return -np.mean(log_p[np.arange(len(y)), y])
''',
}
