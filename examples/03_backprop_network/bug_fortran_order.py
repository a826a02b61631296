"""nn_params reshaped in Fortran order (as Octave's reshape does) but the gradient unrolled in C order."""
EXPECTED_MESSAGES = {"test_nnLoss_unregularised": "Fortran order"}
EXPECTED_FAILURES = {"test_nnLoss_unregularised", "test_nnLoss_regularised", "test_backprop_steps",
                     "test_backprop_delta2", "test_backprop_grads", "test_backprop_regularised", "test_training"}
_C = ('    Theta1 = nn_params[:n1].reshape(hidden_layer_size, input_layer_size + 1)\n'
      '    Theta2 = nn_params[n1:].reshape(num_labels, hidden_layer_size + 1)')
_F = ("    Theta1 = np.reshape(nn_params[:n1], (hidden_layer_size, input_layer_size + 1), order='F')\n"
      "    Theta2 = np.reshape(nn_params[n1:], (num_labels, hidden_layer_size + 1), order='F')")
EDITS = {"nnLoss": [(_C, _F)], "nnBackprop": [(_C, _F)]}
