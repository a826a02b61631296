"""nn_params reshaped in Fortran order but the gradient unrolled in C order."""
EXPECTED_FAILURES = {"test_nnCost_unregularised", "test_nnCost_regularised", "test_nnCost_grad", "test_nnCost_grad_regularised", "test_nnCost_sizes", "test_training"}
EDITS = {
    "nnCost": [
        ('    Theta1 = nn_params[:n1].reshape(hidden_layer_size, input_layer_size + 1)\n    Theta2 = nn_params[n1:].reshape(num_labels, hidden_layer_size + 1)',
         "    Theta1 = np.reshape(nn_params[:n1], (hidden_layer_size, input_layer_size + 1), order='F')\n    Theta2 = np.reshape(nn_params[n1:], (num_labels, hidden_layer_size + 1), order='F')"),
    ],
}
