"""Correct, with probabilities clipped Keras-style to [1e-7, 1 - 1e-7] in the softmax and in the loss: full marks."""
EXPECTED_FAILURES = set()
EDITS = {
    "np_softmax": [("return exps / np.sum(exps, axis=1, keepdims=True)",
                    "return np.clip(exps / np.sum(exps, axis=1, keepdims=True), 1e-7, 1 - 1e-7)")],
    "np_cross_entropy": [("B = y.shape[0]", "B = y.shape[0]\n    p = np.clip(p, 1e-7, 1 - 1e-7)  # as Keras does")],
}
