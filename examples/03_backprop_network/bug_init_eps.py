"""randInitializeWeights with eps = 1 / sqrt(L_in + L_out): uniform, but with a third of the variance the text asks
for. The message gives the variance, not the answer's eps."""
EXPECTED_MESSAGES = {"test_randInitializeWeights": "needs 2 / (L_in + L_out)"}
EXPECTED_FAILURES = {"test_randInitializeWeights"}
EDITS = {
    "randInitializeWeights": [
        ('    epsilon = np.sqrt(6) / np.sqrt(L_in + L_out)', '    epsilon = 1 / np.sqrt(L_in + L_out)'),
    ],
}
