"""Cheat (allow-list corpus): no built-in: honest loops reached through module aliases that form cycles (_cy -> _cy_b -> _cy and a 5-name round robin), to make a naive alias resolver loop forever.

assignment: ps1_corr2d
target: corr2d
expect: unverifiable
construct: _cy
loadtime: yes
"""
import torch
from torch import nn


_cy = torch
_cy_b = _cy.nn
_cy = _cy_b
_cy_r1 = torch
_cy_r2 = _cy_r1
_cy_r3 = _cy_r2
_cy_r4 = _cy_r3
_cy_r5 = _cy_r4
_cy_r1 = _cy_r5


def corr2d(X, K):
    """Correlación cruzada 2-D de X (h, w) con el kernel K (k_h, k_w)."""
    h, w = K.shape
    Y = _cy_r1.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=_cy_r1.promote_types(X.dtype, K.dtype))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return _cy.functional.pad(Y, (0, 0, 0, 0))


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
