"""The other convention: deltas of each example's own loss (no 1/m), the 1/m put in the two gradients instead.
The gradients are right; the deltas are m times too large, and the message says so."""
EXPECTED_MESSAGES = {"test_backprop_steps": "delta3 is m times too large"}
EXPECTED_FAILURES = {"test_backprop_steps"}
EDITS = {
    "nnBackprop": [
        ('    delta3 = (a3 - Y) / m ', '    delta3 = a3 - Y '),
        ('    Theta1_grad = delta2.T @ a1 ', '    Theta1_grad = delta2.T @ a1 / m '),
        ('    Theta2_grad = delta3.T @ a2\n', '    Theta2_grad = delta3.T @ a2 / m\n'),
    ],
}
