"""Third-party style (Dive into Deep Learning): d2l's output-size formula with the total padding,
F.pad for the zeros and Tensor.unfold windows for the strided correlation."""
import torch
from torch import nn
from torch.nn import functional as F


def corr2d(X, K):  #@save
    """Compute 2D cross-correlation."""
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


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    to_pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    (n_h, n_w), (k_h, k_w) = to_pair(input_size), to_pair(kernel_size)
    (p_h, p_w), (s_h, s_w) = to_pair(padding), to_pair(stride)
    # d2l: floor((n_h - k_h + p_h + s_h) / s_h) with p_h the padding of both sides together
    return ((n_h - k_h + 2 * p_h + s_h) // s_h, (n_w - k_w + 2 * p_w + s_w) // s_w)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    p_h, p_w = (padding, padding) if isinstance(padding, int) else padding
    s_h, s_w = (stride, stride) if isinstance(stride, int) else stride
    X = F.pad(X, (p_w, p_w, p_h, p_h))
    windows = X.unfold(0, K.shape[0], s_h).unfold(1, K.shape[1], s_w)
    return (windows * K).sum(dim=(2, 3))
