"""Mutant of ps1_corr2d: computes a true convolution (kernel flipped) instead of the cross-correlation.

target: corr2d
misconception: flipped_kernel
"""
import torch
from torch import nn


def corr2d(X, K):
    """Correlación cruzada 2-D de X (h, w) con el kernel K (k_h, k_w)."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=torch.promote_types(X.dtype, K.dtype))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * torch.flip(K, (0, 1))).sum()
    return Y


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
