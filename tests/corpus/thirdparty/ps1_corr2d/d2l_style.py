"""Third-party style (Dive into Deep Learning, 2nd edition): a lazy convolution (its weight
exists only after the first forward pass), the loss summed before backward, the kernel flipped
with torch.rot90 for the strict convolution."""
import torch
from torch import nn


def corr2d(X, K):  #@save
    """Compute 2D cross-correlation."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def conv2d_strict(X, K):
    # a half turn is a flip on both axes
    return corr2d(X, torch.rot90(K, 2, dims=(0, 1)))


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    conv2d = nn.LazyConv2d(1, kernel_size=kernel_size, bias=False)
    X = X.reshape((1, 1) + X.shape)
    Y = Y.reshape((1, 1) + Y.shape)
    for i in range(num_iters):
        Y_hat = conv2d(X)
        l = (Y_hat - Y) ** 2
        conv2d.zero_grad()
        l.sum().backward()
        # Update the kernel
        conv2d.weight.data[:] -= lr * conv2d.weight.grad
        if (i + 1) % 2 == 0:
            print(f'epoch {i + 1}, loss {l.sum():.3f}')
    return conv2d.weight.data.reshape(kernel_size)
