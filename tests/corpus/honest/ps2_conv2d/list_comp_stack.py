"""Honest ps2_conv2d: list comprehensions over strided ranges joined with torch.stack, padding with `from torch.nn.functional import pad`, conv_output_shape as a generator expression."""
import torch
from torch import nn
from torch.nn.functional import pad


def corr2d(X, K):
    h, w = K.shape
    return torch.stack([torch.stack([(X[i:i + h, j:j + w] * K).sum()
                                     for j in range(X.shape[1] - w + 1)])
                        for i in range(X.shape[0] - h + 1)])


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    args = [a if not isinstance(a, int) else (a, a) for a in (input_size, kernel_size, padding, stride)]
    return tuple((n + 2 * p - k) // s + 1 for n, k, p, s in zip(*args))


def corr2d_pad_stride(X, K, padding=0, stride=1):
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    kh, kw = K.shape
    Xp = pad(X, [pw, pw, ph, ph])
    return torch.stack([
        torch.stack([(Xp[i:i + kh, j:j + kw] * K).sum() for j in range(0, Xp.shape[1] - kw + 1, sw)])
        for i in range(0, Xp.shape[0] - kh + 1, sh)
    ])
