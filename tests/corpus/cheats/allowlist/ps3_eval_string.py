"""Cheat (allow-list corpus): corr2d_multi_in_out_1x1 gets F.conv2d by eval of a string.

assignment: ps3_channels
target: corr2d_multi_in_out_1x1
expect: unverifiable
construct: eval
loadtime: no
"""
import torch
import torch.nn.functional as F


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
    dtype = torch.promote_types(X.dtype, K.dtype)
    op = eval("F." + "conv2d")
    return op(X[None].to(dtype), K.to(dtype))[0]
