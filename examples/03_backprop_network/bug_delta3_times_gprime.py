"""delta3 = (a3 - Y) * g'(z3): the chain rule applied twice, as for a squared error; the cross-entropy cancels g'."""
EXPECTED_FAILURES = {"test_backprop_steps", "test_backprop_regularised", "test_nnCost_sizes"}
EDITS = {
    "nnBackprop": [
        ('    delta3 = a3 - Y ', '    delta3 = (a3 - Y) * a3 * (1 - a3) '),
    ],
}
