"""The Octave course's port: every perturbation is a column of np.diag(e * np.ones(n)), an n x n matrix.

Correct on every test's small theta, but on the 19,885 parameters of section 7's network the
matrix needs 3.2 GB, over the grader's memory cap: that ungraded cell stops the kernel. Every
graded test runs before it, so the submission keeps every point, wrong_costs' included, and the
grading record names the memory cap.
"""
EXPECTED_FAILURES = set()
EXPECTED_FLAGS = {"memory"}
SOLUTIONS = {
    "computeNumericalGradient": '''
def computeNumericalGradient(J, theta, e=1e-4):
    def cost(t):
        out = J(t)
        return out[0] if isinstance(out, tuple) else out
    theta = np.array(theta, dtype=float)
    n = theta.size
    perturb = np.diag(e * np.ones(n))
    numgrad = np.zeros(n)
    for i in range(n):
        step = perturb[:, i].reshape(theta.shape)
        numgrad[i] = (cost(theta + step) - cost(theta - step)) / (2 * e)
    return numgrad.reshape(theta.shape)
''',
}
