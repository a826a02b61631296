"""Gradient returned as x.T @ (p - Y) / B, shape (D+1, K): the transpose of a's shape."""
EXPECTED_FAILURES = {"test_cross_entropy_grad"}
EXPECTED_MESSAGES = {"test_cross_entropy_grad": "the shape of a.T"}
SOLUTIONS = {
    "np_cross_entropy_grad": '''
def np_cross_entropy_grad(p, y, x):
    delta = p.copy()
    delta[np.arange(len(y)), y] -= 1
    return x.T @ delta / len(y)
''',
}
