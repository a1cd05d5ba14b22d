"""Alternative ps2_conv2d: randn-initialised Conv2D, conv_output_shape with math.floor,
corr2d_pad_stride with F.pad + strided Tensor.unfold (vectorised)."""
import math

import torch
import torch.nn.functional as F
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
        self.weight = nn.Parameter(torch.randn(*kernel_size) * 0.1)
        self.register_parameter("bias", nn.Parameter(torch.zeros(1)))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def _two(v):
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    (nh, nw), (kh, kw), (ph, pw), (sh, sw) = map(_two, (input_size, kernel_size, padding, stride))
    return (math.floor((nh + 2 * ph - kh) / sh) + 1, math.floor((nw + 2 * pw - kw) / sw) + 1)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    ph, pw = _two(padding)
    sh, sw = _two(stride)
    Xp = F.pad(X, (pw, pw, ph, ph))
    windows = Xp.unfold(0, K.shape[0], sh).unfold(1, K.shape[1], sw)
    return (windows * K).sum(dim=(2, 3))
