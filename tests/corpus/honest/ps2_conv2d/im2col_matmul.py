"""Honest ps2_conv2d: a hand-written im2col function (window matrix built with loops) times the flattened kernel with @, padding with torch.zeros + slicing."""
import torch
from torch import nn


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype)
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


def _pair(v):
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n, k, p, s = _pair(input_size), _pair(kernel_size), _pair(padding), _pair(stride)
    return ((n[0] + 2 * p[0] - k[0]) // s[0] + 1, (n[1] + 2 * p[1] - k[1]) // s[1] + 1)


def im2col(X, kh, kw, sh, sw):
    """One row per window (in output order), kh*kw columns."""
    oh = (X.shape[0] - kh) // sh + 1
    ow = (X.shape[1] - kw) // sw + 1
    cols = torch.empty((oh * ow, kh * kw), dtype=X.dtype)
    r = 0
    for i in range(oh):
        for j in range(ow):
            cols[r] = X[i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(-1)
            r += 1
    return cols, oh, ow


def corr2d_pad_stride(X, K, padding=0, stride=1):
    ph, pw = _pair(padding)
    sh, sw = _pair(stride)
    dt = torch.promote_types(X.dtype, K.dtype)
    Xp = torch.zeros((X.shape[0] + 2 * ph, X.shape[1] + 2 * pw), dtype=dt)
    Xp[ph:ph + X.shape[0], pw:pw + X.shape[1]] = X
    cols, oh, ow = im2col(Xp, K.shape[0], K.shape[1], sh, sw)
    return (cols @ K.to(dt).reshape(-1)).reshape(oh, ow)
