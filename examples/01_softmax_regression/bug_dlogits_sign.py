"""dL/dlogits with the wrong sign, (Y - p) / B."""
EXPECTED_FAILURES = {"test_dlogits"}
EXPECTED_MESSAGES = {"test_dlogits": "the sign is flipped"}
SOLUTIONS = {
    "np_cross_entropy_dlogits": '''
def np_cross_entropy_dlogits(p, y):
    d = -p
    d[np.arange(len(y)), y] += 1
    return d / len(y)
''',
}
