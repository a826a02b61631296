"""The untouched release: nothing written, so no test passes and the written answers score 0."""
BLANK = True
EXPECTED_FAILURES = {
    "test_numgrad_values", "test_numgrad_central", "test_numgrad_theta_intact", "test_relative_error",
    "test_block_report", "test_nnCostTanh_fixed", "test_wrong_costs",
}
