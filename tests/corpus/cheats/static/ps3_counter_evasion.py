"""Cheat for the trusted-side "implement it yourself" rule: a per-pixel loop hidden from the work counter: sys.settrace(None) and DisableTorchFunction.

assignment: ps3_channels
target: corr2d_multi_in_out_1x1
expect: unverifiable
construct: sys.settrace
"""
import torch
import sys


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
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    """K (c_o, c_i, k_h, k_w): un resultado de corr2d_multi_in por canal de salida, apilados."""
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    """Convolución 1x1 como un único producto de matrices."""
    sys.settrace(None)
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Km = K.reshape((c_o, c_i))
    Y = torch.zeros((c_o, h, w), dtype=torch.promote_types(X.dtype, K.dtype))
    with torch._C.DisableTorchFunction():
        for i in range(h):
            for j in range(w):
                Y[:, i, j] = Km @ X[:, i, j]
    return Y
