"""Cheat (allow-list corpus): corr2d_multi_in_out calls conv2d reached at load time by functools.reduce(getattr, ("nn", "functional", "conv2d"), torch).

assignment: ps3_channels
target: corr2d_multi_in_out
expect: unverifiable
construct: getattr
loadtime: yes
zero: corr2d_multi_in corr2d_multi_in_out_1x1
"""
import torch
import functools


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


_CONV = functools.reduce(getattr, ("nn", "functional", "conv2d"), torch)


def corr2d_multi_in_out(X, K):
    """K (c_o, c_i, k_h, k_w): un resultado de corr2d_multi_in por canal de salida, apilados."""
    dtype = torch.promote_types(X.dtype, K.dtype)
    return _CONV(X[None].to(dtype), K.to(dtype))[0]


def corr2d_multi_in_out_1x1(X, K):
    """Convolución 1x1 como un único producto de matrices."""
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))
