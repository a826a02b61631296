"""No guard: two zero gradients give 0/0 = nan instead of 0."""
EXPECTED_MESSAGES = {"test_relative_error": "returned nan (0/0)"}
EXPECTED_FAILURES = {"test_relative_error"}
EDITS = {"relative_error": [("    if denom == 0:\n        return 0.0\n", "")]}
