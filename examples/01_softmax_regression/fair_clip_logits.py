"""Correct, with logits clipped to +-500 before np.exp and in forward: full marks.

The clip in np_softmax comes after the row maximum is subtracted: clipping the raw
logits first would change the softmax of rows beyond +-500, which the stability test
exists to check (a softmax without the shift is exact for logits within +-500).
"""
EXPECTED_FAILURES = set()
EDITS = {
    "np_softmax": [("shifted = l - np.max(l, axis=1, keepdims=True)",
                    "shifted = np.clip(l - np.max(l, axis=1, keepdims=True), -500, 500)")],
    "NumpyLogisticRegression": [("return np_softmax(np_linear(x, self.A))",
                                 "return np_softmax(np.clip(np_linear(x, self.A), -500, 500))")],
}
