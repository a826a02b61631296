"""delta3 = (a3 - Y) * g'(z3), the chain rule of a squared error: with the cross-entropy g' cancels. The extra factor
shrinks every update, and training stays below 90%."""
EXPECTED_FAILURES = {"test_backprop_steps", "test_backprop_regularised", "test_nnCost_sizes", "test_training"}
EDITS = {
    "nnBackprop": [
        ('    delta3 = a3 - Y ', '    delta3 = (a3 - Y) * a3 * (1 - a3) '),
    ],
}
