"""The gradient step written in place, `self.A -= ...`, with the penalty computed inline: full marks."""
EXPECTED_FAILURES = set()
EDITS = {"NumpyLogisticRegression": [
    ("grad_A = np_cross_entropy_grad(p, y, x) + np_l2_penalty_grad(self.A, self.lambda_)",
     "grad_A = np_cross_entropy_grad(p, y, x)\n                grad_A[:, 1:] += self.lambda_ * self.A[:, 1:]"),
    ("self.A = self.A - self.learning_rate * grad_A", "self.A -= self.learning_rate * grad_A")]}
