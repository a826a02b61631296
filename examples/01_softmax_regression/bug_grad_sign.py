"""Gradient with the wrong sign, (Y - p): training climbs the loss."""
EXPECTED_FAILURES = {"test_cross_entropy_grad"}
EXPECTED_MESSAGES = {"test_cross_entropy_grad": "np_cross_entropy_grad has the wrong sign"}
SOLUTIONS = {
    "np_cross_entropy_grad": '''
def np_cross_entropy_grad(p, y, x):
    delta = -p
    delta[np.arange(len(y)), y] += 1
    return delta.T @ x / len(y)
''',
}
