"""Honest ps1_corr2d: a student-written @check_2d decorator (functools.wraps, ValueError in Spanish) around Tensor.unfold windows, learn_kernel in float64 from torch.randn."""
import functools

import torch


def check_2d(func):
    """Comprueba que X y K sean matrices y que el kernel entre en la imagen."""
    @functools.wraps(func)
    def wrapper(X, K):
        if X.dim() != 2 or K.dim() != 2:
            raise ValueError("X y K tienen que ser tensores 2-D")
        if K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]:
            raise ValueError("el kernel no puede ser más grande que la imagen")
        return func(X, K)
    return wrapper


@check_2d
def corr2d(X, K):
    kh, kw = K.shape
    patches = X.unfold(0, kh, 1).unfold(1, kw, 1)     # (h', w', kh, kw)
    return (patches * K).sum(dim=(2, 3))


@check_2d
def conv2d_strict(X, K):
    return corr2d(X, torch.flip(K, (0, 1)))


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    w = torch.randn(kernel_size, dtype=torch.float64, requires_grad=True)
    X, Y = X.double(), Y.double()
    for _ in range(num_iters):
        if w.grad is not None:
            w.grad.zero_()
        ((corr2d(X, w) - Y) ** 2).sum().backward()
        with torch.no_grad():
            w.sub_(lr * w.grad)
    return w.detach()
