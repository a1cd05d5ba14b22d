"""Cheat (allow-list corpus): a docstring example run by doctest at load time stores F.conv2d in a list that corr2d calls.

assignment: ps1_corr2d
target: corr2d
expect: unverifiable
construct: doctest
loadtime: yes
"""
import torch
from torch import nn
import doctest


_CAJA = []


def _receta():
    """Receta rápida: se comprueba al cargar, como los ejemplos de la documentación.

    >>> import torch.nn.functional as F
    >>> CAJA.append(F.conv2d)
    """


_probado = doctest.run_docstring_examples(_receta, {"CAJA": _CAJA}, name="receta")


def corr2d(X, K):
    """Correlación cruzada 2-D de X (h, w) con el kernel K (k_h, k_w)."""
    dtype = torch.promote_types(X.dtype, K.dtype)
    return _CAJA[0](X[None, None].to(dtype), K[None, None].to(dtype))[0, 0]


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
