"""nnBackprop right in every value, but one example at a time in a Python loop: the vectorisation check counts
its calls of sigmoid and says why it fails."""
EXPECTED_MESSAGES = {"test_backprop_steps": "it loops over the examples"}
EXPECTED_FAILURES = {"test_backprop_steps"}
SOLUTIONS = {
    "nnBackprop": '''
def nnBackprop(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels):
    n, h, K = input_layer_size, hidden_layer_size, num_labels
    Theta1 = nn_params[:h * (n + 1)].reshape(h, n + 1)
    Theta2 = nn_params[h * (n + 1):].reshape(K, h + 1)
    m = X.shape[0]
    delta3, delta2 = np.zeros((m, K)), np.zeros((m, h))
    Theta1_grad, Theta2_grad = np.zeros_like(Theta1), np.zeros_like(Theta2)
    for t in range(m):
        a1 = np.concatenate([[1.0], X[t]])
        z2 = Theta1 @ a1
        a2 = np.concatenate([[1.0], sigmoid(z2)])
        a3 = sigmoid(Theta2 @ a2)
        delta3[t] = (a3 - np.eye(K)[y[t]]) / m
        delta2[t] = (Theta2[:, 1:].T @ delta3[t]) * sigmoidGradient(z2)
        Theta1_grad += np.outer(delta2[t], a1)
        Theta2_grad += np.outer(delta3[t], a2)
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return delta3, delta2, Theta1_grad, Theta2_grad
''',
}
