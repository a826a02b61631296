"""Perturbs the caller's theta through a view and never puts it back: theta is modified in place."""
EXPECTED_MESSAGES = {"test_numgrad_theta_intact": "on a copy (e.g. `theta.copy()`)"}
EXPECTED_FAILURES = {"test_numgrad_values", "test_numgrad_central", "test_numgrad_theta_intact"}
SOLUTIONS = {
    "computeNumericalGradient": '''
def computeNumericalGradient(J, theta, e=1e-4):
    def cost(t):
        out = J(t)
        return out[0] if isinstance(out, tuple) else out
    numgrad = np.zeros(theta.shape)
    flat = theta.reshape(-1)          # a view of the caller's array
    for i in range(flat.size):
        flat[i] += e
        plus = cost(theta)
        flat[i] -= 2 * e
        minus = cost(theta)
        numgrad.flat[i] = (plus - minus) / (2 * e)
    return numgrad
''',
}
