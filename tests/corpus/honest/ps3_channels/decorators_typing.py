"""Honest ps3_channels: typing annotations and a student-written @check_channels decorator (functools.wraps, ValueError in Spanish); sum() over a generator of per-channel correlations."""
from functools import wraps
from typing import Callable

import torch

Tensor = torch.Tensor


def check_channels(func: Callable[[Tensor, Tensor], Tensor]) -> Callable[[Tensor, Tensor], Tensor]:
    @wraps(func)
    def wrapper(X: Tensor, K: Tensor) -> Tensor:
        if X.dim() != 3:
            raise ValueError(f"X tiene que ser (c_i, h, w), no {tuple(X.shape)}")
        if K.shape[-3] != X.shape[0]:
            raise ValueError("el kernel y X tienen que tener los mismos canales de entrada")
        return func(X, K)
    return wrapper


def corr2d(X: Tensor, K: Tensor) -> Tensor:
    kh, kw = K.shape
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    out = torch.zeros(oh, ow, dtype=torch.promote_types(X.dtype, K.dtype))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = (X[i:i + kh, j:j + kw] * K).sum()
    return out


@check_channels
def corr2d_multi_in(X: Tensor, K: Tensor) -> Tensor:
    return sum(corr2d(x, k) for x, k in zip(X, K))


@check_channels
def corr2d_multi_in_out(X: Tensor, K: Tensor) -> Tensor:
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


@check_channels
def corr2d_multi_in_out_1x1(X: Tensor, K: Tensor) -> Tensor:
    c_i, h, w = X.shape
    dt = torch.promote_types(X.dtype, K.dtype)
    return torch.mm(K.to(dt).reshape(-1, c_i), X.to(dt).reshape(c_i, h * w)).reshape(-1, h, w)
