"""Honest ps4_pooling: numpy in/out: padding with np.full + slicing, windows from sliding_window_view on the last two axes, strides by slicing, np.max/np.mean, back with torch.from_numpy."""
import numpy as np
import torch

MODES = ("max", "avg")


def _check(mode):
    if mode not in MODES:
        raise ValueError(f"modo de pooling desconocido: {mode!r} (usa 'max' o 'avg')")


def _reduce(windows, mode):
    if mode == "max":
        return np.max(windows, axis=(-2, -1))
    return np.mean(windows, axis=(-2, -1))


def pool2d(X, pool_size, mode='max'):
    _check(mode)
    x = X.detach().cpu().numpy()
    windows = np.lib.stride_tricks.sliding_window_view(x, tuple(pool_size))
    return torch.from_numpy(np.ascontiguousarray(_reduce(windows, mode)))


def _pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    _check(mode)
    ph, pw = _pair(pool_size)
    sh, sw = (ph, pw) if stride is None else _pair(stride)
    pad_h, pad_w = _pair(padding)
    x = X.detach().cpu().numpy()
    h, w = x.shape[-2:]
    fill = -np.inf if mode == "max" else 0.0
    xp = np.full(x.shape[:-2] + (h + 2 * pad_h, w + 2 * pad_w), fill, dtype=x.dtype)
    xp[..., pad_h:pad_h + h, pad_w:pad_w + w] = x
    windows = np.lib.stride_tricks.sliding_window_view(xp, (ph, pw), axis=(-2, -1))
    windows = windows[..., ::sh, ::sw, :, :]
    return torch.from_numpy(np.ascontiguousarray(_reduce(windows, mode)))
