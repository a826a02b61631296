"""Correct, with an epsilon of 1e-8 inside the log of the cross-entropy: full marks."""
EXPECTED_FAILURES = set()
EDITS = {"np_cross_entropy": [("np.log(p[np.arange(B), y])", "np.log(p[np.arange(B), y] + 1e-8)")]}
