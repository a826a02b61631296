"""sigmoid with z clipped to [-500, 500], so that exp never overflows: full marks."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "sigmoid": '''
def sigmoid(z):
    return 1 / (1 + np.exp(-np.clip(z, -500, 500)))
''',
}
