"""Third-party style (the course notebook's): loops for corr2d, flips with torch.flip, an explicit
nn.Conv2d trained by hand with .data updates and progress printed with .item()."""
import torch
from torch import nn


def corr2d(X, K):
    """Correlación cruzada bidimensional."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def conv2d_strict(X, K):
    K_volteado = torch.flip(K, [0, 1])
    return corr2d(X, K_volteado)


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    # capa convolucional de 1 canal de entrada y 1 de salida, sin sesgo
    conv2d = nn.Conv2d(1, 1, kernel_size=kernel_size, bias=False)
    # la capa espera (lote, canal, alto, ancho)
    X = X.reshape((1, 1, X.shape[0], X.shape[1]))
    Y = Y.reshape((1, 1, Y.shape[0], Y.shape[1]))
    for i in range(num_iters):
        Y_hat = conv2d(X)
        l = (Y_hat - Y) ** 2
        conv2d.zero_grad()
        l.sum().backward()
        # descenso de gradiente a mano
        conv2d.weight.data[:] -= lr * conv2d.weight.grad
        if (i + 1) % 2 == 0:
            print(f'iteración {i + 1}, pérdida {l.sum().item():.3f}')
    return conv2d.weight.data.reshape(kernel_size)
