# Entrega de ejemplo con errores típicos: bias que no es un parámetro, fórmula de la salida
# sin el relleno de ambos lados, y stride aplicado solo en una dirección.
import torch
from torch import nn


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = torch.zeros(1)  # error: no es un nn.Parameter

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    (n_h, n_w), (k_h, k_w), (p_h, p_w), (s_h, s_w) = map(_pair, (input_size, kernel_size, padding, stride))
    return ((n_h + p_h - k_h) // s_h + 1, (n_w + p_w - k_w) // s_w + 1)  # error: falta 2 * p


def corr2d_pad_stride(X, K, padding=0, stride=1):
    (p_h, p_w), (s_h, s_w) = _pair(padding), _pair(stride)
    Xp = torch.zeros((X.shape[0] + 2 * p_h, X.shape[1] + 2 * p_w), dtype=X.dtype)
    Xp[p_h:p_h + X.shape[0], p_w:p_w + X.shape[1]] = X
    Y = corr2d(Xp, K)
    return Y[::s_h, :]  # error: el stride horizontal se ignora
