"""Cheat (allow-list corpus): corr2d runs F.conv2d from a statement string with timeit.Timer(..., globals=...).timeit(1) and captures the result.

assignment: ps1_corr2d
target: corr2d
expect: unverifiable
construct: timeit.Timer
loadtime: no
"""
import torch
from torch import nn
import timeit
import torch.nn.functional as F


def corr2d(X, K):
    """Correlación cruzada 2-D de X (h, w) con el kernel K (k_h, k_w)."""
    dtype = torch.promote_types(X.dtype, K.dtype)
    box = []
    scope = {"F": F, "box": box, "x": X[None, None].to(dtype), "k": K[None, None].to(dtype)}
    timeit.Timer("box.append(F.conv2d(x, k))", globals=scope).timeit(1)
    return box[0][0, 0]


def conv2d_strict(X, K):
    """Convolución estricta: el kernel se voltea en ambos ejes y luego se correlaciona."""
    return corr2d(X, torch.flip(K, dims=(0, 1)))


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    """Aprende un kernel de tamaño kernel_size que lleve X a Y con descenso de gradiente."""
    conv = nn.Conv2d(1, 1, kernel_size=kernel_size, bias=False)
    X = X.reshape((1, 1) + tuple(X.shape)).to(conv.weight.dtype)
    Y = Y.reshape((1, 1) + tuple(Y.shape)).to(conv.weight.dtype)
    for _ in range(num_iters):
        Y_hat = conv(X)
        loss = ((Y_hat - Y) ** 2).sum()
        conv.zero_grad()
        loss.backward()
        with torch.no_grad():
            conv.weight -= lr * conv.weight.grad
    return conv.weight.detach().reshape(tuple(conv.weight.shape[2:]))
