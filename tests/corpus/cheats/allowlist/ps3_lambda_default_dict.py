"""Cheat (allow-list corpus): corr2d_multi_in_out_1x1 calls a lambda stored in a module-level dict whose default argument captured torch.conv2d at load.

assignment: ps3_channels
target: corr2d_multi_in_out_1x1
expect: forbidden
construct: torch.conv2d
loadtime: yes
"""
import torch


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


_OPS = {"1x1": lambda X, K, _f=torch.conv2d: _f(X[None], K)[0]}


def corr2d_multi_in_out_1x1(X, K):
    """Convolución 1x1 como un único producto de matrices."""
    dtype = torch.promote_types(X.dtype, K.dtype)
    return _OPS["1x1"](X.to(dtype), K.to(dtype))
