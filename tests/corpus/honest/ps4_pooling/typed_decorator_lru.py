"""Honest ps4_pooling: typing annotations, a student-written @check_mode decorator (functools.wraps) raising ValueError, and functools.lru_cache on the output-size helper; unfold windows."""
import functools
from typing import Optional, Sequence, Tuple, Union

import torch

Pair = Union[int, Sequence[int]]


def check_mode(func):
    @functools.wraps(func)
    def wrapper(X, pool_size, mode: str = "max", *args, **kwargs):
        if mode not in ("max", "avg"):
            raise ValueError(f"{func.__name__}: mode debe ser 'max' o 'avg', no {mode!r}")
        return func(X, pool_size, mode, *args, **kwargs)
    return wrapper


def _pair(v: Pair) -> Tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


@functools.lru_cache(maxsize=None)
def output_size(n: int, k: int, p: int, s: int) -> int:
    return (n + 2 * p - k) // s + 1


def _windows(X: torch.Tensor, ph: int, pw: int, sh: int, sw: int) -> torch.Tensor:
    return X.unfold(-2, ph, sh).unfold(-2, pw, sw)


@check_mode
def pool2d(X: torch.Tensor, pool_size: Tuple[int, int], mode: str = 'max') -> torch.Tensor:
    win = _windows(X, pool_size[0], pool_size[1], 1, 1)
    return win.amax(dim=(-2, -1)) if mode == "max" else win.mean(dim=(-2, -1))


@check_mode
def pool2d_pad_stride(X: torch.Tensor, pool_size: Pair, mode: str = 'max', padding: Pair = 0,
                      stride: Optional[Pair] = None) -> torch.Tensor:
    (ph, pw), (pad_h, pad_w) = _pair(pool_size), _pair(padding)
    sh, sw = (ph, pw) if stride is None else _pair(stride)
    h, w = X.shape[-2:]
    oh, ow = output_size(h, ph, pad_h, sh), output_size(w, pw, pad_w, sw)
    Xp = torch.full(tuple(X.shape[:-2]) + (h + 2 * pad_h, w + 2 * pad_w),
                    float("-inf") if mode == "max" else 0.0, dtype=X.dtype)
    Xp[..., pad_h:pad_h + h, pad_w:pad_w + w] = X
    win = _windows(Xp, ph, pw, sh, sw)[..., :oh, :ow, :, :]
    return win.amax(dim=(-2, -1)) if mode == "max" else win.mean(dim=(-2, -1))
