"""Cross-entropy that indexes p[:, y], a B x B block, instead of p[np.arange(B), y]."""
EXPECTED_FAILURES = {"test_cross_entropy"}
EXPECTED_MESSAGES = {"test_cross_entropy": "p[:, y] picks a B x B block"}
EDITS = {"np_cross_entropy": [("p[np.arange(B), y]", "p[:, y]")]}
