"""Third-party style (the course notebook's): the Conv2D layer of the chapter, math.floor in the
output-size formula, zero padding by slicing into a bigger tensor and strided loops."""
import math

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
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def _par(v):
    if isinstance(v, int):
        return v, v
    return v[0], v[1]


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n_h, n_w = _par(input_size)
    k_h, k_w = _par(kernel_size)
    p_h, p_w = _par(padding)
    s_h, s_w = _par(stride)
    alto = math.floor((n_h + 2 * p_h - k_h) / s_h) + 1
    ancho = math.floor((n_w + 2 * p_w - k_w) / s_w) + 1
    return (alto, ancho)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    p_h, p_w = _par(padding)
    s_h, s_w = _par(stride)
    k_h, k_w = K.shape
    X_pad = torch.zeros((X.shape[0] + 2 * p_h, X.shape[1] + 2 * p_w))
    X_pad[p_h:p_h + X.shape[0], p_w:p_w + X.shape[1]] = X
    alto, ancho = conv_output_shape(X.shape, K.shape, padding, stride)
    Y = torch.zeros((alto, ancho))
    for i in range(alto):
        for j in range(ancho):
            fila, col = i * s_h, j * s_w
            Y[i, j] = (X_pad[fila:fila + k_h, col:col + k_w] * K).sum()
    return Y
