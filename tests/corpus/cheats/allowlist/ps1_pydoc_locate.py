"""Cheat (allow-list corpus): corr2d calls conv2d resolved from a string by pydoc.locate at load time and kept in a list.

assignment: ps1_corr2d
target: corr2d
expect: unverifiable
construct: pydoc.locate
loadtime: yes
"""
import torch
from torch import nn
import pydoc


_KERNELS = [pydoc.locate("torch.nn.functional.conv2d")]


def corr2d(X, K):
    """Correlación cruzada 2-D de X (h, w) con el kernel K (k_h, k_w)."""
    dtype = torch.promote_types(X.dtype, K.dtype)
    return _KERNELS[0](X[None, None].to(dtype), K[None, None].to(dtype))[0, 0]


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
