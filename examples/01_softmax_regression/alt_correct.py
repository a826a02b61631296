"""Correct, but written differently from the reference (einsum, log-sum-exp, one-hot, grad through dlogits): full marks."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "np_linear": '''
def np_linear(x, a):
    return np.einsum("bd,kd->bk", x, a)
''',
    "np_softmax": '''
def np_softmax(l):
    m = l.max(axis=1)[:, None]
    log_z = m + np.log(np.exp(l - m).sum(axis=1))[:, None]   # log-sum-exp, no scipy
    return np.exp(l - log_z)
''',
    "np_cross_entropy": '''
def np_cross_entropy(p, y):
    onehot = np.eye(p.shape[1])[y]
    return float(-(onehot * np.log(np.where(onehot == 1, p, 1.0))).sum() / len(y))
''',
    "np_cross_entropy_dlogits": '''
def np_cross_entropy_dlogits(p, y):
    return (p - np.eye(p.shape[1])[y]) / len(y)
''',
    "np_cross_entropy_grad": '''
def np_cross_entropy_grad(p, y, x):
    return np.einsum("bk,bd->kd", np_cross_entropy_dlogits(p, y), x)  # the chain rule, through the learner's own dlogits
''',
}
