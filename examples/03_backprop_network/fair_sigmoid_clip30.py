"""sigmoid with z clipped to [-30, 30] before exp: off by at most g(-30) = 9.4e-14 far out, harmless, full marks."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "sigmoid": '''
def sigmoid(z):
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))
''',
}
