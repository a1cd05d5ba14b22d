"""Honest ps2_conv2d: typing annotations, functools.lru_cache on the per-axis output-length helper, and corr2d_pad_stride as sum() over strided shifted slices of the padded input."""
from functools import lru_cache
from typing import Sequence, Tuple, Union

import torch
from torch import nn

Size = Union[int, Sequence[int]]


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    kh, kw = K.shape
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    return sum(K[a, b] * X[a:a + oh, b:b + ow] for a in range(kh) for b in range(kw))


class Conv2D(nn.Module):
    def __init__(self, kernel_size: Tuple[int, int]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return corr2d(x, self.weight) + self.bias


def _pair(v: Size) -> Tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


@lru_cache(maxsize=256)
def _out_len(n: int, k: int, p: int, s: int) -> int:
    return (n + 2 * p - k) // s + 1


def conv_output_shape(input_size: Size, kernel_size: Size, padding: Size = 0,
                      stride: Size = 1) -> Tuple[int, int]:
    n, k, p, s = _pair(input_size), _pair(kernel_size), _pair(padding), _pair(stride)
    return _out_len(n[0], k[0], p[0], s[0]), _out_len(n[1], k[1], p[1], s[1])


def corr2d_pad_stride(X: torch.Tensor, K: torch.Tensor, padding: Size = 0,
                      stride: Size = 1) -> torch.Tensor:
    (ph, pw), (sh, sw) = _pair(padding), _pair(stride)
    kh, kw = K.shape
    dt = torch.promote_types(X.dtype, K.dtype)
    Xp = torch.zeros(X.shape[0] + 2 * ph, X.shape[1] + 2 * pw, dtype=dt)
    Xp[ph:ph + X.shape[0], pw:pw + X.shape[1]] = X
    oh, ow = conv_output_shape(tuple(X.shape), (kh, kw), (ph, pw), (sh, sw))
    rows, cols = sh * (oh - 1) + 1, sw * (ow - 1) + 1      # span of the strided slice
    return sum(K[a, b] * Xp[a:a + rows:sh, b:b + cols:sw] for a in range(kh) for b in range(kw))
