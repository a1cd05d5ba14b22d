"""Honest ps2_conv2d: corr2d_pad_stride is an instance of a callable class (__call__) with @staticmethod/@classmethod helpers; Conv2D's forward calls the module's own corr2d."""
import torch
from torch import nn


def corr2d(X, K):
    kh, kw = K.shape
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    out = 0
    for a in range(kh):
        for b in range(kw):
            out = out + K[a, b] * X[a:a + oh, b:b + ow]
    return out


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


class _PadStrideCorr:
    """Zero padding first, then the usual loops with a step."""

    @staticmethod
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    @classmethod
    def padded(cls, X, padding, dtype):
        ph, pw = cls.pair(padding)
        out = torch.zeros(X.shape[0] + 2 * ph, X.shape[1] + 2 * pw, dtype=dtype)
        out[ph:ph + X.shape[0], pw:pw + X.shape[1]] = X
        return out

    def __call__(self, X, K, padding=0, stride=1):
        dt = torch.promote_types(X.dtype, K.dtype)
        Xp = self.padded(X, padding, dt)
        sh, sw = self.pair(stride)
        kh, kw = K.shape
        oh, ow = (Xp.shape[0] - kh) // sh + 1, (Xp.shape[1] - kw) // sw + 1
        Y = torch.zeros(oh, ow, dtype=dt)
        for i in range(oh):
            for j in range(ow):
                Y[i, j] = (Xp[i * sh:i * sh + kh, j * sw:j * sw + kw] * K).sum()
        return Y


corr2d_pad_stride = _PadStrideCorr()


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    pair = _PadStrideCorr.pair
    n, k, p, s = pair(input_size), pair(kernel_size), pair(padding), pair(stride)
    return tuple((n[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in (0, 1))
