"""dL/dlogits of the summed loss (no 1/B): B times too large."""
EXPECTED_FAILURES = {"test_dlogits"}
EXPECTED_MESSAGES = {"test_dlogits": "it is B = 3 times too large"}
EDITS = {"np_cross_entropy_dlogits": [("return dlogits / B", "return dlogits")]}
