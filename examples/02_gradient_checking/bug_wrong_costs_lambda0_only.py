"""Checked every cost at lambda_ = 0 only, so flagged only the cost that is wrong there."""
EXPECTED_FAILURES = {"test_wrong_costs"}
EDITS = {"wrong_costs": [('{"cost_B", "cost_C", "cost_E"}', '{"cost_C"}')]}
