"""Cheat (allow-list corpus): corr2d as numpy.convolve of each image row with the reversed kernel row, summed over the kernel rows.

assignment: ps1_corr2d
target: corr2d
expect: forbidden
construct: np.convolve
loadtime: no
"""
import torch
from torch import nn
import numpy as np


def corr2d(X, K):
    """Correlación cruzada 2-D de X (h, w) con el kernel K (k_h, k_w)."""
    k_h = K.shape[0]
    x = X.detach().cpu().numpy().astype(np.float64)
    k = K.detach().cpu().numpy().astype(np.float64)
    out = np.zeros((x.shape[0] - k_h + 1, x.shape[1] - k.shape[1] + 1))
    for i in range(out.shape[0]):
        for a in range(k_h):
            out[i] += np.convolve(x[i + a], k[a][::-1], mode="valid")
    return torch.tensor(out, dtype=torch.promote_types(X.dtype, K.dtype))


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
