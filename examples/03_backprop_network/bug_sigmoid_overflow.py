"""The textbook sigmoid 1 / (1 + np.exp(-z)): right values, but overflow warnings at z = -1000."""
EXPECTED_FAILURES = {"test_sigmoid", "test_sigmoidGradient"}
SOLUTIONS = {
    "sigmoid": '''
def sigmoid(z):
    return 1 / (1 + np.exp(-z))
''',
}
