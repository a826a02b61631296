"""computeNumericalGradient with a fresh copy of theta for every evaluation (copy, perturb, evaluate): slower,
never in place, full marks."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "computeNumericalGradient": '''
def computeNumericalGradient(J, theta, e=1e-4):
    def cost(t):
        out = J(t)
        return out[0] if isinstance(out, tuple) else out
    numgrad = np.zeros(np.shape(theta))
    for i in range(numgrad.size):
        plus, minus = np.array(theta, dtype=float), np.array(theta, dtype=float)
        plus.flat[i] += e
        minus.flat[i] -= e
        numgrad.flat[i] = (cost(plus) - cost(minus)) / (2 * e)
    return numgrad
''',
}
