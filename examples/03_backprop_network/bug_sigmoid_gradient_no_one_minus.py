"""sigmoidGradient returns g(z), without the (1 - g) factor: the Theta1 gradient is wrong and training stalls near 75%."""
EXPECTED_FAILURES = {"test_sigmoidGradient", "test_nnCost_grad", "test_nnCost_grad_regularised", "test_nnCost_sizes", "test_training"}
SOLUTIONS = {
    "sigmoidGradient": '''
def sigmoidGradient(z):
    g = sigmoid(z)
    return g
''',
}
