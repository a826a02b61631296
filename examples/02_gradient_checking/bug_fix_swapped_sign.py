"""The 'fix' swaps the arguments of np.subtract: now Theta1's bias is added back instead of Theta2's."""
EXPECTED_FAILURES = {"test_nnCost_fixed"}
SOLUTIONS = {
    "nnCost_fixed": '''
def nnCost_fixed(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels):
    n1 = hidden_layer_size * (input_layer_size + 1)
    Theta1 = nn_params[:n1].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[n1:].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]
    J, grad = nnCost(nn_params, X, y, 0, input_layer_size, hidden_layer_size, num_labels)
    J += (lambda_ / (2 * m)) * (np.sum(Theta1 * Theta1) + np.sum(Theta2 * Theta2)
                                - np.subtract(Theta2[:, 0] @ Theta2[:, 0], Theta1[:, 0] @ Theta1[:, 0]))
    _, grad = nnCost(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels)
    return J, grad
''',
}
