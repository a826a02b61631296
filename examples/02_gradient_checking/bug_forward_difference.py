"""A forward difference (J(theta + e) - J(theta)) / e: error O(e), not O(e^2)."""
EXPECTED_MESSAGES = {"test_numgrad_values": "forward (or backward) difference"}
EXPECTED_FAILURES = {"test_numgrad_values", "test_numgrad_central"}
SOLUTIONS = {
    "computeNumericalGradient": '''
def computeNumericalGradient(J, theta, e=1e-4):
    def cost(t):
        out = J(t)
        return out[0] if isinstance(out, tuple) else out
    work = np.array(theta, dtype=float)
    numgrad = np.zeros_like(work)
    base = cost(work)
    for i in range(work.size):
        old = work.flat[i]
        work.flat[i] = old + e
        numgrad.flat[i] = (cost(work) - base) / e
        work.flat[i] = old
    return numgrad
''',
}
