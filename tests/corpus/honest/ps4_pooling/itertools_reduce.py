"""Honest ps4_pooling: itertools.product over the window offsets and functools.reduce(torch.maximum / operator.add) over strided shifted slices (no loop over output positions)."""
import functools
import itertools
import operator

import torch


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pool(Xp, ph, pw, sh, sw, mode):
    oh = (Xp.shape[-2] - ph) // sh + 1
    ow = (Xp.shape[-1] - pw) // sw + 1
    span_h, span_w = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    slices = (Xp[..., a:a + span_h:sh, b:b + span_w:sw] for a, b in itertools.product(range(ph), range(pw)))
    if mode == "max":
        return functools.reduce(torch.maximum, slices)
    return functools.reduce(operator.add, slices) / (ph * pw)


def _check(mode):
    if mode not in ("max", "avg"):
        raise ValueError(f"mode debe ser 'max' o 'avg' (recibido: {mode!r})")


def pool2d(X, pool_size, mode='max'):
    _check(mode)
    return _pool(X, pool_size[0], pool_size[1], 1, 1, mode)


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    _check(mode)
    ph, pw = _pair(pool_size)
    sh, sw = (ph, pw) if stride is None else _pair(stride)
    pad_h, pad_w = _pair(padding)
    h, w = X.shape[-2:]
    Xp = torch.full(X.shape[:-2] + (h + 2 * pad_h, w + 2 * pad_w),
                    float("-inf") if mode == "max" else 0.0, dtype=X.dtype)
    Xp[..., pad_h:pad_h + h, pad_w:pad_w + w] = X
    return _pool(Xp, ph, pw, sh, sw, mode)
