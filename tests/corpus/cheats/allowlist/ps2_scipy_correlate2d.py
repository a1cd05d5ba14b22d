"""Cheat (allow-list corpus): corr2d_pad_stride as scipy.signal.correlate2d (mode valid) of the zero-padded input, then strided slicing.

assignment: ps2_conv2d
target: corr2d_pad_stride
expect: forbidden
construct: scipy.signal
loadtime: no
"""
import torch
from torch import nn
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


def corr2d_pad_stride(X, K, padding=0, stride=1):
    """Correlación cruzada con relleno de ceros (padding por lado) y paso (stride)."""
    import scipy.signal
    p_h, p_w = (padding, padding) if isinstance(padding, int) else padding
    s_h, s_w = (stride, stride) if isinstance(stride, int) else stride
    x = F.pad(X, (p_w, p_w, p_h, p_h)).detach().cpu().numpy()
    full = scipy.signal.correlate2d(x, K.detach().cpu().numpy(), mode="valid")
    return torch.tensor(full[::s_h, ::s_w].copy(), dtype=torch.promote_types(X.dtype, K.dtype))
