"""Honest ps1_corr2d: corr2d with the builtin sum() over a generator of kernel-weighted window views, conv2d_strict and the loss as lambdas, learn_kernel with nn.Conv2d."""
import torch
from torch import nn


def corr2d(X, K):
    kh, kw = K.shape
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    # one term per kernel entry: K[a, b] times the part of X it touches
    return sum(X[a:a + oh, b:b + ow] * K[a, b] for a in range(kh) for b in range(kw))


conv2d_strict = lambda X, K: corr2d(X, K.flip(0, 1))  # noqa: E731


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    conv2d = nn.Conv2d(1, 1, kernel_size=kernel_size, bias=False)
    X4 = X.reshape(1, 1, X.shape[0], X.shape[1]).float()
    Y4 = Y.reshape(1, 1, Y.shape[0], Y.shape[1]).float()
    squared_error = lambda pred: ((pred - Y4) ** 2).sum()  # noqa: E731
    for _ in range(num_iters):
        conv2d.weight.grad = None
        squared_error(conv2d(X4)).backward()
        with torch.no_grad():
            conv2d.weight -= lr * conv2d.weight.grad
    return conv2d.weight.detach().reshape(kernel_size)
