"""computeNumericalGradient on its own copy, undoing each step with += e; -= 2e; += e: the coordinate may end
1 ulp away from where it started, which is harmless, so full marks."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "computeNumericalGradient": '''
def computeNumericalGradient(J, theta, e=1e-4):
    def cost(t):
        out = J(t)
        return out[0] if isinstance(out, tuple) else out
    t = theta.astype(float)                       # a copy
    numgrad = np.zeros_like(t)
    for i in np.ndindex(t.shape):
        t[i] += e
        plus = cost(t)
        t[i] -= 2 * e
        minus = cost(t)
        t[i] += e                                 # back, up to 1 ulp
        numgrad[i] = (plus - minus) / (2 * e)
    return numgrad
''',
}
