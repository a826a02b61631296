"""One-hot built for 1-based labels, np.eye(num_labels)[y - 1]: every label is shifted by one."""
EXPECTED_FAILURES = {"test_nnCost_unregularised", "test_nnCost_regularised", "test_nnCost_grad", "test_nnCost_grad_regularised", "test_nnCost_sizes", "test_training"}
SOLUTIONS = {
    "nnCost": '''
def nnCost(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels):
    n1 = hidden_layer_size * (input_layer_size + 1)
    Theta1 = nn_params[:n1].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[n1:].reshape(num_labels, hidden_layer_size + 1)
    m = X.shape[0]
    Y = np.eye(num_labels)[y - 1]                          # one-hot, (m, K)

    a1 = np.hstack([np.ones((m, 1)), X])               # (m, n+1)
    z2 = a1 @ Theta1.T                                 # (m, h)
    a2 = np.hstack([np.ones((m, 1)), sigmoid(z2)])     # (m, h+1)
    z3 = a2 @ Theta2.T                                 # (m, K)
    a3 = sigmoid(z3)

    # -log(a3) = logaddexp(0, -z3) and -log(1 - a3) = logaddexp(0, z3): finite for every z3
    cost = np.sum(Y * np.logaddexp(0, -z3) + (1 - Y) * np.logaddexp(0, z3)) / m
    cost += lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    d3 = a3 - Y                                        # (m, K)
    d2 = (d3 @ Theta2[:, 1:]) * sigmoidGradient(z2)    # (m, h)
    Theta1_grad = d2.T @ a1 / m                        # new arrays: safe to change in place
    Theta2_grad = d3.T @ a2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return cost, np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])
''',
}
