"""delta3 = (a3 - Y) * g'(z3), the chain rule of a squared error: with the cross-entropy g' cancels. The extra factor
shrinks every update, and training stays below 90%."""
EXPECTED_MESSAGES = {"test_backprop_steps": "delta3 is the first tensor that disagrees"}
EXPECTED_FAILURES = {"test_backprop_steps", "test_training"}
EDITS = {
    "nnBackprop": [
        ('    delta3 = (a3 - Y) / m ', '    delta3 = (a3 - Y) * a3 * (1 - a3) / m '),
    ],
}
