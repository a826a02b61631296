"""Correct, with an epsilon of 1e-8 in the softmax denominator (rows sum to 1 - 1e-8): full marks."""
EXPECTED_FAILURES = set()
EDITS = {"np_softmax": [("return exps / np.sum(exps, axis=1, keepdims=True)",
                         "return exps / (np.sum(exps, axis=1, keepdims=True) + 1e-8)")]}
