"""Correct, but written differently (exp(-|z|) sigmoid, einsum, clipped logs, comparison one-hot, a helper
shared by nnLoss and nnBackprop): full marks."""
EXPECTED_FAILURES = set()
SOLUTIONS = {
    "sigmoid": '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))                       # never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
''',
    "sigmoidGradient": '''
def sigmoidGradient(z):
    e = np.exp(-np.abs(z))
    return e / (1 + e) ** 2                      # g(z) (1 - g(z)), symmetric in z
''',
    "nnLoss": '''
def unpack(nn_params, n, h, K):
    split = h * (n + 1)
    return np.reshape(nn_params[:split], (h, n + 1)), np.reshape(nn_params[split:], (K, h + 1))

def nnLoss(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels):
    T1, T2 = unpack(nn_params, input_layer_size, hidden_layer_size, num_labels)
    m = len(y)
    Y = (np.asarray(y)[:, None] == np.arange(num_labels)).astype(float)
    A1 = np.concatenate([np.ones((m, 1)), X], axis=1)
    A2 = np.concatenate([np.ones((m, 1)), sigmoid(np.einsum("mi,hi->mh", A1, T1))], axis=1)
    P = np.clip(sigmoid(np.einsum("mh,kh->mk", A2, T2)), 1e-300, 1 - 1e-16)
    J = -(np.sum(Y * np.log(P)) + np.sum((1 - Y) * np.log1p(-P))) / m
    return J + lambda_ * (np.sum(T1[:, 1:] * T1[:, 1:]) + np.sum(T2[:, 1:] * T2[:, 1:])) / (2 * m)
''',
    "nnBackprop": '''
def nnBackprop(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels):
    T1, T2 = unpack(nn_params, input_layer_size, hidden_layer_size, num_labels)
    m = len(y)
    Y = (np.asarray(y)[:, None] == np.arange(num_labels)).astype(float)
    A1 = np.concatenate([np.ones((m, 1)), X], axis=1)
    Z2 = np.einsum("mi,hi->mh", A1, T1)
    A2 = np.concatenate([np.ones((m, 1)), sigmoid(Z2)], axis=1)
    D3 = (sigmoid(np.einsum("mh,kh->mk", A2, T2)) - Y) / m
    D2 = np.einsum("mk,kh->mh", D3, T2[:, 1:]) * sigmoidGradient(Z2)
    reg1 = np.concatenate([np.zeros((T1.shape[0], 1)), T1[:, 1:]], axis=1)
    reg2 = np.concatenate([np.zeros((T2.shape[0], 1)), T2[:, 1:]], axis=1)
    G1 = np.einsum("mh,mi->hi", D2, A1) + lambda_ / m * reg1
    G2 = np.einsum("mk,mh->kh", D3, A2) + lambda_ / m * reg2
    return D3, D2, G1, G2
''',
    "nnCost": '''
def nnCost(nn_params, X, y, lambda_, input_layer_size, hidden_layer_size, num_labels):
    sizes = (input_layer_size, hidden_layer_size, num_labels)
    G1, G2 = nnBackprop(nn_params, X, y, lambda_, *sizes)[2:]
    return nnLoss(nn_params, X, y, lambda_, *sizes), np.hstack([G1.flatten(), G2.flatten()])
''',
    "randInitializeWeights": '''
def randInitializeWeights(L_in, L_out, rng):
    eps = 6 ** 0.5 / (L_in + L_out) ** 0.5
    return (2 * rng.random((L_out, 1 + L_in)) - 1) * eps
''',
    "predict": '''
def predict(Theta1, Theta2, X):
    ones = np.ones((X.shape[0], 1))
    hidden = sigmoid(np.c_[ones, X].dot(Theta1.T))
    return np.c_[ones, hidden].dot(Theta2.T).argmax(axis=1)   # sigmoid is increasing: argmax of z3
''',
}
