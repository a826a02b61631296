"""The perturbation vector is never set back to 0, so perturbations accumulate coordinate after coordinate."""
EXPECTED_MESSAGES = {"test_numgrad_values": "still there when you move to the next one"}
EXPECTED_FAILURES = {"test_numgrad_values", "test_numgrad_central", "test_numgrad_theta_intact"}
SOLUTIONS = {
    "computeNumericalGradient": '''
def computeNumericalGradient(J, theta, e=1e-4):
    def cost(t):
        out = J(t)
        return out[0] if isinstance(out, tuple) else out
    numgrad = np.zeros(theta.shape)
    perturb = np.zeros(theta.shape)
    for i in range(theta.size):
        perturb.flat[i] = e
        loss1 = cost(theta - perturb)
        loss2 = cost(theta + perturb)
        numgrad.flat[i] = (loss2 - loss1) / (2 * e)
    return numgrad
''',
}
