"""sigmoid as exp(z) / (1 + exp(z)): inf / inf = nan for z > 709, so g(1000) is nan instead of 1."""
EXPECTED_MESSAGES = {"test_sigmoid": "inf/inf is nan"}
EXPECTED_FAILURES = {"test_sigmoid"}
SOLUTIONS = {
    "sigmoid": '''
def sigmoid(z):
    return np.exp(z) / (1 + np.exp(z))
''',
}
