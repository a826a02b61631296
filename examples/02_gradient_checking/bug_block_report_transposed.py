"""block_report returns rows = (bias, weights), columns = (Theta1, Theta2): the transpose."""
EXPECTED_MESSAGES = {"test_block_report": "your report is transposed"}
EXPECTED_FAILURES = {"test_block_report"}
SOLUTIONS = {
    "block_report": '''
def block_report(grad, numgrad, input_layer_size, hidden_layer_size, num_labels):
    n1 = hidden_layer_size * (input_layer_size + 1)
    G1, N1 = grad[:n1].reshape(hidden_layer_size, -1), numgrad[:n1].reshape(hidden_layer_size, -1)
    G2, N2 = grad[n1:].reshape(num_labels, -1), numgrad[n1:].reshape(num_labels, -1)
    return np.array([[relative_error(G1[:, 0], N1[:, 0]), relative_error(G2[:, 0], N2[:, 0])],
                     [relative_error(G1[:, 1:], N1[:, 1:]), relative_error(G2[:, 1:], N2[:, 1:])]])
''',
}
