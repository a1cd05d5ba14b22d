"""Third-party style (the course notebook's): corr2d with loops, a sum over zip(X, K), torch.stack
of one map per output channel, and the 1x1 convolution as X.reshape + torch.matmul."""
import torch


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def corr2d_multi_in(X, K):
    # recorremos la dimensión 0 (canales) de X y K a la vez y sumamos
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    # un mapa por canal de salida, apilados en la dimensión 0
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    # multiplicación de matrices en la capa densa
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))
