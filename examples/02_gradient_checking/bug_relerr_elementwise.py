"""CS231n's element-wise relative error, the largest |a_i - b_i| / max(|a_i| + |b_i|, 1e-8): a fine check, but not
this assignment's norm-based relative_error. Only its own test is charged: block_report is judged with a correct one."""
EXPECTED_FAILURES = {"test_relative_error"}
EXPECTED_MESSAGES = {"test_relative_error": "element-wise relative error"}
SOLUTIONS = {
    "relative_error": '''
def relative_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
''',
}
