"""The original question's gradient: `grad = p; grad[range(m), y] -= 1` writes into the caller's p.

Its values are right: full marks from the grader, with a note; the notebook's own test fails it
(see advice_dlogits_in_place.py).
"""
EXPECTED_FAILURES = set()
EXPECTED_NOTES = {"test_cross_entropy_grad": "np_cross_entropy_grad changed its argument `p` in place"}
SOLUTIONS = {
    "np_cross_entropy_grad": '''
def np_cross_entropy_grad(p, y, x):
    m = y.shape[0]
    grad = p
    grad[range(m), y] -= 1
    grad = grad / m
    grad = grad.transpose()
    return np.dot(grad, x)
''',
}
