"""Correct, but written differently from the reference (np.ndindex, fresh arrays, a one-line fix): full marks."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "computeNumericalGradient": '''
def computeNumericalGradient(J, theta, e=1e-4):
    theta = np.asarray(theta, dtype=float)
    numgrad = np.empty(theta.shape)
    def cost(t):
        out = J(t)
        return out[0] if type(out) is tuple else out
    for idx in np.ndindex(theta.shape):
        step = np.zeros(theta.shape)
        step[idx] = e
        numgrad[idx] = (cost(theta + step) - cost(theta - step)) / (2 * e)
    return numgrad
''',
    "relative_error": '''
def relative_error(a, b):
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    num = np.sqrt(np.sum((a - b) ** 2))
    den = np.sqrt(np.sum(a ** 2)) + np.sqrt(np.sum(b ** 2))
    return num / den if den > 0 else 0.0
''',
    "block_report": '''
def block_report(grad, numgrad, input_layer_size, hidden_layer_size, num_labels):
    n1 = hidden_layer_size * (input_layer_size + 1)
    out = []
    for g, n, cols in [(grad[:n1], numgrad[:n1], input_layer_size + 1), (grad[n1:], numgrad[n1:], hidden_layer_size + 1)]:
        g, n = g.reshape(-1, cols), n.reshape(-1, cols)
        out.append([relative_error(g[:, :1], n[:, :1]), relative_error(g[:, 1:], n[:, 1:])])
    return np.array(out)
''',
    "nnCostTanh_fixed": '''
def nnCostTanh_fixed(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels):
    # nnCostTanh adds the Theta2 bias sum b instead of removing it: take 2 * lambda_/(2m) * b back off
    J, grad = nnCostTanh(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels)
    bias2 = nn_params[hidden_layer_size * (input_layer_size + 1)::hidden_layer_size + 1]
    return J - lambda_ / X.shape[0] * (bias2 @ bias2), grad
''',
    "wrong_costs": '''
wrong_costs = ["cost_E", "cost_C", "cost_B"]
''',
}
