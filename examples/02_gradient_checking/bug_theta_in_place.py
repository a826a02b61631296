"""Perturbs the caller's theta through a view and never puts it back: theta is modified in place.

The grader sees it in the points its own cost records (two coordinates moved at once) and in
the values for costs whose coordinates interact; for costs that add up per coordinate
(test_numgrad_central's) the stale steps cancel, and the in-place write alone is a note.
"""
EXPECTED_MESSAGES = {"test_numgrad_theta_intact": "the perturbation of the previous coordinate was never reset"}
EXPECTED_FAILURES = {"test_numgrad_values", "test_numgrad_theta_intact"}
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
