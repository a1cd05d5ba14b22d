"""Honest ps1_corr2d: windows with torch.as_strided, typing annotations everywhere, learn_kernel from torch.randn(kernel_size, requires_grad=True) with torch.autograd.grad."""
from typing import Tuple

import torch


def windows_of(X: torch.Tensor, kh: int, kw: int) -> torch.Tensor:
    """View of X of shape (h', w', kh, kw) without copying (only the strides change)."""
    X = X.contiguous()
    s_row, s_col = X.stride()
    size = (X.shape[0] - kh + 1, X.shape[1] - kw + 1, kh, kw)
    return torch.as_strided(X, size, (s_row, s_col, s_row, s_col))


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    kh, kw = K.shape
    return (windows_of(X, kh, kw) * K).sum(dim=(-2, -1))


def conv2d_strict(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    return corr2d(X, K.flip(0).flip(1))


def learn_kernel(X: torch.Tensor, Y: torch.Tensor, kernel_size: Tuple[int, int],
                 lr: float = 3e-2, num_iters: int = 10) -> torch.Tensor:
    w = torch.randn(kernel_size, requires_grad=True)
    X, Y = X.to(w.dtype), Y.to(w.dtype)
    for _ in range(num_iters):
        loss = ((corr2d(X, w) - Y) ** 2).sum()
        (grad,) = torch.autograd.grad(loss, w)
        with torch.no_grad():
            w -= lr * grad
    return w.detach()
