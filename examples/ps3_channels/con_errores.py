# Entrega de ejemplo con errores típicos: promedio en vez de suma sobre los canales de entrada,
# y un 1x1 con las dimensiones de la matriz cambiadas de lugar.
import torch


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K)) / X.shape[0]  # error: promedia


def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_i, c_o))  # error: debería ser (c_o, c_i)
    return (K.T @ X).reshape((c_o, h, w))
