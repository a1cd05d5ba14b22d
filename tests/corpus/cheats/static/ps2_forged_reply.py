"""Cheat for the trusted-side "implement it yourself" rule: replaces the worker's conv2d_params/conv2d_forward probes so their replies are forged data.

assignment: ps2_conv2d
target: Conv2D
expect: tampered
construct: conv2d_params
also_zero: corr2d_pad_stride (load-time tampering taints every guarded object)
"""
import torch
from torch import nn

import sys


def _forged(ns, *args, **kwargs):
    return {"is_module": True, "parameters": "todo bien", "weight": 1, "bias": None}


_patched = [m.PROBES.update(conv2d_params=_forged, conv2d_forward=_forged)
            for k, m in list(sys.modules.items()) if k.endswith("probes") and hasattr(m, "PROBES")]


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


def corr2d_pad_stride(X, K, padding=0, stride=1):
    """Correlación cruzada con relleno de ceros (padding por lado) y paso (stride)."""
    p_h, p_w = (padding, padding) if isinstance(padding, int) else padding
    s_h, s_w = (stride, stride) if isinstance(stride, int) else stride
    k_h, k_w = K.shape
    padded = torch.zeros((X.shape[0] + 2 * p_h, X.shape[1] + 2 * p_w), dtype=X.dtype)
    padded[p_h:p_h + X.shape[0], p_w:p_w + X.shape[1]] = X
    out_h = (padded.shape[0] - k_h) // s_h + 1
    out_w = (padded.shape[1] - k_w) // s_w + 1
    Y = torch.zeros((out_h, out_w), dtype=torch.promote_types(X.dtype, K.dtype))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w]
            Y[i, j] = (window * K).sum()
    return Y
