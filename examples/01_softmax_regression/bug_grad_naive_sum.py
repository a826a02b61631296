"""The loop version with its own dlogits and no 1/B: B times too large (the vectorised one is correct)."""
EXPECTED_FAILURES = {"test_cross_entropy_grad_naive"}
EXPECTED_MESSAGES = {"test_cross_entropy_grad_naive": "np_cross_entropy_grad_naive is B = 3 times too large"}
SOLUTIONS = {
    "np_cross_entropy_grad_naive": '''
def np_cross_entropy_grad_naive(p, y, x):
    B, K = p.shape
    grad = np.zeros((K, x.shape[1]))
    for i in range(B):
        for k in range(K):
            grad[k] += (p[i, k] - (k == y[i])) * x[i]
    return grad
''',
}
