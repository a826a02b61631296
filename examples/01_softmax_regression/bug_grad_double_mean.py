"""Gradient through a correct dlogits, then divided by B again: B times too small."""
EXPECTED_FAILURES = {"test_cross_entropy_grad"}
EXPECTED_MESSAGES = {"test_cross_entropy_grad": "np_cross_entropy_grad is B = 3 times too small"}
SOLUTIONS = {
    "np_cross_entropy_grad": '''
def np_cross_entropy_grad(p, y, x):
    return np_cross_entropy_dlogits(p, y).T @ x / len(y)
''',
}
