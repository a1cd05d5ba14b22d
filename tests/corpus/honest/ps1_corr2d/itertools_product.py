"""Honest ps1_corr2d: loops flattened with itertools.product over the output positions, course-style nn.Conv2d learn_kernel updating every parameter in a loop."""
import itertools

import torch
from torch import nn


def corr2d(X, K):
    kh, kw = K.shape
    Y = torch.zeros(X.shape[0] - kh + 1, X.shape[1] - kw + 1,
                    dtype=torch.promote_types(X.dtype, K.dtype))
    for i, j in itertools.product(range(Y.shape[0]), range(Y.shape[1])):
        Y[i, j] = torch.sum(X[i:i + kh, j:j + kw] * K)
    return Y


def conv2d_strict(X, K):
    return corr2d(X, torch.flip(K, dims=[0, 1]))


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    conv = nn.Conv2d(in_channels=1, out_channels=1, kernel_size=kernel_size, bias=False)
    X4 = X.view(1, 1, *X.shape).to(torch.float32)
    Y4 = Y.view(1, 1, *Y.shape).to(torch.float32)
    for _ in itertools.repeat(None, num_iters):
        loss = torch.sum((conv(X4) - Y4) ** 2)
        conv.zero_grad()
        loss.backward()
        for p in conv.parameters():
            p.data -= lr * p.grad
    return conv.weight.data.view(*kernel_size).clone()
