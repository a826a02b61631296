"""The Octave course's port: every perturbation is a column of np.diag(e * np.ones(n)), an n x n matrix.

Correct on every test's small theta, but on the 19,885 parameters of section 7's network the
matrix needs 3.2 GB, over the grader's memory cap. Every graded test runs before that cell, so
the grader does not run it at all (nothing after the last test can change a verdict; the
feedback says "not run by the grader"), and the submission keeps every point, wrong_costs'
included. Run by the learner, the cell stops their kernel with a MemoryError.
"""
EXPECTED_FAILURES = set()
EXPECTED_FLAGS = set()
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
