"""Cheat (allow-list corpus): corr2d_pad_stride calls F.conv2d captured at load time in a functools.partial.

assignment: ps2_conv2d
target: corr2d_pad_stride
expect: forbidden
construct: F.conv2d
loadtime: yes
"""
import torch
from torch import nn
import functools
import torch.nn.functional as F


def corr2d(X, K):
    """Correlación cruzada 2-D (la de la tarea 1)."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=torch.promote_types(X.dtype, K.dtype))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    """Capa convolucional 2-D: un kernel aprendible (weight) y un sesgo escalar (bias)."""

    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    """Alto y ancho de la salida: floor((n + 2p - k) / s) + 1 en cada eje."""
    n, k, p, s = [(v, v) if isinstance(v, int) else tuple(v)
                  for v in (input_size, kernel_size, padding, stride)]
    return tuple((n[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(2))


_CORR = functools.partial(F.conv2d, bias=None)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    """Correlación cruzada con relleno de ceros (padding por lado) y paso (stride)."""
    dtype = torch.promote_types(X.dtype, K.dtype)
    x, k = X[None, None].to(dtype), K[None, None].to(dtype)
    return _CORR(x, k, padding=padding, stride=stride)[0, 0]
