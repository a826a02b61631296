"""sigmoid with two masked branches, each formula applied only where its exponent is not positive: full marks."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "sigmoid": '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1 / (1 + np.exp(-z[positive]))
    e = np.exp(z[~positive])
    out[~positive] = e / (1 + e)
    return out
''',
}
