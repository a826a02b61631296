"""dL/dlogits divided by B twice: B times too small."""
EXPECTED_FAILURES = {"test_dlogits"}
EXPECTED_MESSAGES = {"test_dlogits": "it is B = 3 times too small"}
EDITS = {"np_cross_entropy_dlogits": [("return dlogits / B", "return dlogits / B / B")]}
