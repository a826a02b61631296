"""The original question's denominator ||a + b||: 1 instead of 0.71 for orthogonal vectors, inf for a sign bug."""
EXPECTED_MESSAGES = {"test_relative_error": "that is a denominator ||a + b||"}
EXPECTED_FAILURES = {"test_relative_error"}
SOLUTIONS = {
    "relative_error": '''
def relative_error(a, b):
    denom = np.linalg.norm(a + b)
    return 0.0 if denom == 0 else np.linalg.norm(a - b) / denom
''',
}
