"""sigmoidGradient returns g(z), without the (1 - g) factor. Only sigmoidGradient is charged (backprop is judged
with a correct one), and training with it stays below 90%."""
EXPECTED_MESSAGES = {"test_sigmoidGradient": "that is the sigmoid itself, not its derivative"}
EXPECTED_FAILURES = {"test_sigmoidGradient", "test_training"}
SOLUTIONS = {
    "sigmoidGradient": '''
def sigmoidGradient(z):
    g = sigmoid(z)
    return g
''',
}
