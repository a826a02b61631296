"""dL/dlogits that writes into the caller's p (`d = p`), called by a correct gradient.

Its values are right. The notebook's own test fails it; the grader, which passes
copies and cannot verify what the learner's kernel reports about its own, gives
full marks and a note on dlogits alone (README, "How grading decides").
"""
EXPECTED_FAILURES = set()
EXPECTED_NOTES = {"test_dlogits": "np_cross_entropy_dlogits changed its argument `p` in place"}
EDITS = {"np_cross_entropy_dlogits": [("dlogits = p.copy()", "dlogits = p")]}
SOLUTIONS = {
    "np_cross_entropy_grad": '''
def np_cross_entropy_grad(p, y, x):
    return np_cross_entropy_dlogits(p, y).T @ x
''',
}
