"""The untouched release: nothing written, so no test passes and the written answers score 0."""
BLANK = True
EXPECTED_FAILURES = {"test_sigmoid", "test_sigmoidGradient", "test_nnCost_unregularised", "test_nnCost_regularised", "test_nnCost_grad", "test_nnCost_grad_regularised", "test_nnCost_sizes", "test_randInitializeWeights", "test_predict", "test_training"}
