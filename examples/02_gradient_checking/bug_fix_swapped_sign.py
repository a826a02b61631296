"""The 'fix' swaps the arguments of np.subtract: now Theta1's bias is added back instead of Theta2's."""
EXPECTED_MESSAGES = {"test_nnCostTanh_fixed": "run block_report on it"}
EXPECTED_FAILURES = {"test_nnCostTanh_fixed"}
SOLUTIONS = {
    "nnCostTanh_fixed": '''
def nnCostTanh_fixed(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels):
    Theta1, Theta2 = unroll(nn_params, input_layer_size, hidden_layer_size, num_labels)
    m = X.shape[0]
    J, grad = nnCostTanh(nn_params, X, y, 0, input_layer_size, hidden_layer_size, num_labels)
    J += (lambda_ / (2 * m)) * (np.sum(Theta1 * Theta1) + np.sum(Theta2 * Theta2)
                                - np.subtract(Theta2[:, 0] @ Theta2[:, 0], Theta1[:, 0] @ Theta1[:, 0]))
    _, grad = nnCostTanh(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels)
    return J, grad
''',
}
