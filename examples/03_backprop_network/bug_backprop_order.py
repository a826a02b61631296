"""nnBackprop returns its tensors in the order backprop computes them (delta3, Theta2_grad, delta2, Theta1_grad),
not the stated one: a message names the order, never a traceback. nnCost, written to the stated order, then hands
training the wrong arrays, so the training cell stops, and its test says so."""
EXPECTED_MESSAGES = {"test_backprop_steps": "they look like delta3, Theta2_grad, delta2, Theta1_grad",
                     "test_backprop_regularised": "they look like delta3, Theta2_grad, delta2, Theta1_grad",
                     "test_training": "the training cell above did not finish"}
EXPECTED_FAILURES = {"test_backprop_steps", "test_backprop_delta2", "test_backprop_grads", "test_backprop_regularised",
                     "test_training"}
EDITS = {
    "nnBackprop": [
        ('    return delta3, delta2, Theta1_grad, Theta2_grad', '    return delta3, Theta2_grad, delta2, Theta1_grad'),
    ],
}
