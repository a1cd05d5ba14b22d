"""Cheat (allow-list corpus): corr2d_multi_in sums numpy.correlate (1-D, mode valid) over channels and kernel rows.

assignment: ps3_channels
target: corr2d_multi_in
expect: forbidden
construct: np.correlate
loadtime: no
"""
import torch
import numpy as np


def corr2d(X, K):
    """Correlación cruzada 2-D (la de la tarea 1)."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=torch.promote_types(X.dtype, K.dtype))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def corr2d_multi_in(X, K):
    """X (c_i, h, w) y K (c_i, k_h, k_w): correlaciona canal a canal y suma los resultados."""
    x = X.detach().cpu().numpy().astype(np.float64)
    k = K.detach().cpu().numpy().astype(np.float64)
    c_i, k_h, k_w = k.shape
    out = np.zeros((x.shape[1] - k_h + 1, x.shape[2] - k_w + 1))
    for c in range(c_i):
        for i in range(out.shape[0]):
            for a in range(k_h):
                out[i] += np.correlate(x[c, i + a], k[c, a], mode="valid")
    return torch.tensor(out, dtype=torch.promote_types(X.dtype, K.dtype))


def corr2d_multi_in_out(X, K):
    """K (c_o, c_i, k_h, k_w): por cada canal de salida, la suma de las correlaciones por canal."""
    return torch.stack([sum(corr2d(x, k) for x, k in zip(X, K_o)) for K_o in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    """Convolución 1x1 como un único producto de matrices."""
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))
