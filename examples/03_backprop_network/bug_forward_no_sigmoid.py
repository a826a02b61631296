"""nnForward returns z3 as a3: the output layer's sigmoid is missing. Only a3's test loses its points: z2, a2
and z3 are right, and nnLoss and nnBackprop, written without nnForward, do not see it."""
EXPECTED_MESSAGES = {"test_forward_a3": "a3 holds your z3 itself, not g(z3): apply the sigmoid"}
EXPECTED_FAILURES = {"test_forward_a3"}
EDITS = {"nnForward": [("    return z2, a2, z3, sigmoid(z3)", "    return z2, a2, z3, z3")]}
