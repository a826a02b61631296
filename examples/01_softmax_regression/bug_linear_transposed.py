"""np_linear computes a @ x.T, (K, B), instead of x @ a.T, (B, K)."""
EXPECTED_FAILURES = {"test_np_linear", "test_forward", "test_training"}
SOLUTIONS = {
    "np_linear": '''
def np_linear(x, a):
    return np.dot(a, x.T)
''',
}
