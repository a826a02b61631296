"""The penalty's gradient built with np.hstack and the penalty with np.linalg.norm: full marks."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "np_l2_penalty": '''
def np_l2_penalty(a, lambda_):
    return 0.5 * lambda_ * np.linalg.norm(a[:, 1:]) ** 2


def np_l2_penalty_grad(a, lambda_):
    return np.hstack([np.zeros((a.shape[0], 1)), lambda_ * a[:, 1:]])
''',
}
