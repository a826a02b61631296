"""sigmoidGradient returns g(z), without the (1 - g) factor: delta2 is wrong, and so is the Theta1 gradient."""
EXPECTED_FAILURES = {"test_sigmoidGradient", "test_backprop_steps", "test_backprop_regularised", "test_nnCost_sizes",
                     "test_training"}
SOLUTIONS = {
    "sigmoidGradient": '''
def sigmoidGradient(z):
    g = sigmoid(z)
    return g
''',
}
