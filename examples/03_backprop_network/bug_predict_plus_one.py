"""predict adds 1 to np.argmax, as for 1-based labels."""
EXPECTED_MESSAGES = {"test_predict": "your labels are 1 too large"}
EXPECTED_FAILURES = {"test_predict", "test_training"}
SOLUTIONS = {
    "predict": '''
def predict(Theta1, Theta2, X):
    m = X.shape[0]
    h = sigmoid(np.hstack([np.ones((m, 1)), X]) @ Theta1.T)
    out = sigmoid(np.hstack([np.ones((m, 1)), h]) @ Theta2.T)
    return np.argmax(out, axis=1) + 1
''',
}
