"""sigmoid with np.where over the two stable formulas: both are evaluated everywhere, so numpy warns
about an overflow in the branch it discards. The values are right: full marks (a warning is not an error)."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "sigmoid": '''
def sigmoid(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
''',
}
