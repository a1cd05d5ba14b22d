# Entrega de ejemplo con errores típicos (para probar el corrector):
# - corr2d: se olvida el "+ 1" del tamaño de salida (error por uno);
# - conv2d_strict: voltea el kernel en un solo eje;
# - learn_kernel: suma el gradiente en vez de restarlo.
import torch
from torch import nn


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h, X.shape[1] - w))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def conv2d_strict(X, K):
    K = torch.flip(K, dims=(0,))
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    conv = nn.Conv2d(1, 1, kernel_size=kernel_size, bias=False)
    X = X.reshape((1, 1) + tuple(X.shape))
    Y = Y.reshape((1, 1) + tuple(Y.shape))
    for _ in range(num_iters):
        loss = ((conv(X) - Y) ** 2).sum()
        conv.zero_grad()
        loss.backward()
        with torch.no_grad():
            conv.weight += lr * conv.weight.grad
    return conv.weight.detach().reshape(kernel_size)
