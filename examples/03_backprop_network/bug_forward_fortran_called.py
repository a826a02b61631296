"""nnForward reads Theta1 in Fortran order, and nnLoss and nnBackprop call nnForward. The bug is charged where it
is: z2's test fails; a2, z3 and a3 are judged against this z2, and nnLoss, nnBackprop and nnCost are graded
with a correct nnForward, so they keep their points. Training uses the learner's own functions, and fails."""
EXPECTED_MESSAGES = {"test_forward_z2": "reshaped to (h, n+1) in C order"}
EXPECTED_FAILURES = {"test_forward_z2", "test_training"}
EDITS = {"nnForward": [("    Theta1 = nn_params[:h * (n + 1)].reshape(h, n + 1)     # C order, as nn_params was unrolled\n",
                        "    Theta1 = nn_params[:h * (n + 1)].reshape(h, n + 1, order=\"F\")\n")]}
SOLUTIONS = {
    "nnLoss": '''
def nnLoss(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels):
    n1 = hidden_layer_size * (input_layer_size + 1)
    Theta1 = nn_params[:n1].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[n1:].reshape(num_labels, hidden_layer_size + 1)
    z2, a2, z3, a3 = nnForward(nn_params, X, input_layer_size, hidden_layer_size, num_labels)
    m = X.shape[0]
    Y = np.eye(num_labels)[y]
    cost = np.sum(Y * np.logaddexp(0, -z3) + (1 - Y) * np.logaddexp(0, z3)) / m
    return float(cost + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2)))
''',
    "nnBackprop": '''
def nnBackprop(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels):
    n1 = hidden_layer_size * (input_layer_size + 1)
    Theta1 = nn_params[:n1].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[n1:].reshape(num_labels, hidden_layer_size + 1)
    z2, a2, z3, a3 = nnForward(nn_params, X, input_layer_size, hidden_layer_size, num_labels)
    m = X.shape[0]
    delta3 = (a3 - np.eye(num_labels)[y]) / m
    delta2 = (delta3 @ Theta2[:, 1:]) * sigmoidGradient(z2)
    Theta1_grad = delta2.T @ np.hstack([np.ones((m, 1)), X])
    Theta2_grad = delta3.T @ a2
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return delta3, delta2, Theta1_grad, Theta2_grad
''',
}
