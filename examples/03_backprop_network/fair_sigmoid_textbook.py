"""The textbook sigmoid 1 / (1 + np.exp(-z)): numpy warns of an overflow for z < -709, but 1 / inf = 0 is the
right value, so it scores full marks (the test prints a note about the warning)."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "sigmoid": '''
def sigmoid(z):
    return 1 / (1 + np.exp(-z))
''',
}
