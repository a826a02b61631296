"""np_linear computes a @ x.T, (K, B), instead of x @ a.T, (B, K)."""
EXPECTED_FAILURES = {"test_np_linear"}
EXPECTED_MESSAGES = {"test_np_linear": "you computed a @ x.T"}
SOLUTIONS = {
    "np_linear": '''
def np_linear(x, a):
    return np.dot(a, x.T)
''',
}
