"""Honest ps4_pooling: a @dataclass PoolConfig (pairs normalised in __post_init__) and graded names that are instances of a callable class (`pool2d = _Pool2d()`), with nested loops inside."""
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import torch

IntOrPair = Union[int, Sequence[int]]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


@dataclass
class PoolConfig:
    pool_size: IntOrPair
    mode: str = "max"
    padding: IntOrPair = 0
    stride: Optional[IntOrPair] = None

    def __post_init__(self):
        if self.mode not in ("max", "avg"):
            raise ValueError(f"mode={self.mode!r} no es válido; usa 'max' o 'avg'")
        self.pool_size = _pair(self.pool_size)
        self.padding = _pair(self.padding)
        self.stride = self.pool_size if self.stride is None else _pair(self.stride)


class _Pool2d:
    def run(self, X, cfg):
        (ph, pw), (sh, sw), (pad_h, pad_w) = cfg.pool_size, cfg.stride, cfg.padding
        h, w = X.shape[-2:]
        base = torch.full(X.shape[:-2] + (h + 2 * pad_h, w + 2 * pad_w),
                          float("-inf") if cfg.mode == "max" else 0.0, dtype=X.dtype)
        base[..., pad_h:pad_h + h, pad_w:pad_w + w] = X
        oh, ow = (base.shape[-2] - ph) // sh + 1, (base.shape[-1] - pw) // sw + 1
        Y = torch.empty(X.shape[:-2] + (oh, ow), dtype=X.dtype)
        for i in range(oh):
            for j in range(ow):
                win = base[..., i * sh:i * sh + ph, j * sw:j * sw + pw]
                Y[..., i, j] = win.amax(dim=(-2, -1)) if cfg.mode == "max" else win.mean(dim=(-2, -1))
        return Y

    def __call__(self, X, pool_size, mode='max'):
        return self.run(X, PoolConfig(pool_size, mode, 0, 1))


class _Pool2dPadStride(_Pool2d):
    def __call__(self, X, pool_size, mode='max', padding=0, stride=None):
        return self.run(X, PoolConfig(pool_size, mode, padding, stride))


pool2d = _Pool2d()
pool2d_pad_stride = _Pool2dPadStride()
