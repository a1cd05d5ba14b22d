"""Cheat (allow-list corpus): corr2d_multi_in runs "y = F.conv2d(...)" from a string with code.InteractiveInterpreter(ns).runsource.

assignment: ps3_channels
target: corr2d_multi_in
expect: unverifiable
construct: InteractiveInterpreter
loadtime: no
"""
import torch
import code
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
    dtype = torch.promote_types(X.dtype, K.dtype)
    ns = {"F": F, "x": X[None].to(dtype), "k": K[None].to(dtype)}
    code.InteractiveInterpreter(ns).runsource("y = F.conv2d(x, k)[0, 0]")
    return ns["y"]


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
