"""nnCost written from scratch, calling neither nnLoss nor nnBackprop, with its sums in another order: full marks."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "nnCost": '''
def nnCost(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels):
    n, h, K = input_layer_size, hidden_layer_size, num_labels
    T1 = nn_params[:h * (n + 1)].reshape(h, n + 1)
    T2 = nn_params[h * (n + 1):].reshape(K, h + 1)
    m = X.shape[0]
    Y = np.zeros((m, K))
    Y[np.arange(m), y] = 1
    a1 = np.column_stack([np.ones(m), X])
    z2 = a1 @ T1.T
    a2 = np.column_stack([np.ones(m), sigmoid(z2)])
    z3 = a2 @ T2.T
    a3 = sigmoid(z3)
    J = np.mean(np.sum(np.logaddexp(0, -z3) * Y + np.logaddexp(0, z3) * (1 - Y), axis=1))
    J += lambda_ / (2 * m) * (np.sum(T1[:, 1:] ** 2) + np.sum(T2[:, 1:] ** 2))
    d3 = a3 - Y
    d2 = (d3 @ T2[:, 1:]) * sigmoid(z2) * (1 - sigmoid(z2))
    G1 = d2.T @ a1 / m
    G2 = d3.T @ a2 / m
    G1[:, 1:] += lambda_ * T1[:, 1:] / m
    G2[:, 1:] += lambda_ * T2[:, 1:] / m
    return J, np.hstack([G1.ravel(), G2.ravel()])
''',
}
