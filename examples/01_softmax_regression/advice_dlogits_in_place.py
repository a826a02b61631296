"""dL/dlogits that writes into the caller's p (`d = p`), called by a correct gradient: blamed on dlogits alone."""
EXPECTED_FAILURES = {"test_dlogits"}
EXPECTED_MESSAGES = {"test_dlogits": "np_cross_entropy_dlogits changed its argument `p` in place"}
EDITS = {"np_cross_entropy_dlogits": [("dlogits = p.copy()", "dlogits = p")]}
SOLUTIONS = {
    "np_cross_entropy_grad": '''
def np_cross_entropy_grad(p, y, x):
    return np_cross_entropy_dlogits(p, y).T @ x
''',
}
