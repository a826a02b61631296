"""Gradient of the summed loss (no division by B): B times too large."""
EXPECTED_FAILURES = {"test_cross_entropy_grad", "test_training"}
SOLUTIONS = {
    "np_cross_entropy_grad": '''
def np_cross_entropy_grad(p, y, x):
    delta = p.copy()
    delta[np.arange(len(y)), y] -= 1
    return delta.T @ x
''',
}
