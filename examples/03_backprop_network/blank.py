"""The untouched release: nothing written, so no test passes and the written answers score 0."""
BLANK = True
EXPECTED_FAILURES = {"test_sigmoid", "test_sigmoidGradient", "test_forward_z2", "test_forward_a2", "test_forward_z3",
                     "test_forward_a3", "test_nnLoss_unregularised", "test_nnLoss_regularised",
                     "test_backprop_steps", "test_backprop_delta2", "test_backprop_grads",
                     "test_backprop_regularised", "test_nnCost_sizes",
                     "test_randInitializeWeights", "test_predict", "test_training"}
