"""Honest ps4_pooling: Tensor.unfold windows and the reduction picked inline with getattr(windows, "amax" if mode == "max" else "mean"), padding with torch.full + slicing."""
import torch


def _check_mode(mode):
    if mode not in ("max", "avg"):
        raise ValueError("mode tiene que ser 'max' o 'avg', no " + repr(mode))


def pool2d(X, pool_size, mode='max'):
    _check_mode(mode)
    p_h, p_w = pool_size
    windows = X.unfold(0, p_h, 1).unfold(1, p_w, 1)
    return getattr(windows, "amax" if mode == "max" else "mean")(dim=(-2, -1))


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    _check_mode(mode)
    p_h, p_w = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    s_h, s_w = (p_h, p_w) if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
    pad_h, pad_w = (padding, padding) if isinstance(padding, int) else padding
    h, w = X.shape[-2:]
    value = float("-inf") if mode == "max" else 0.0
    Xp = torch.full(X.shape[:-2] + (h + 2 * pad_h, w + 2 * pad_w), value, dtype=X.dtype)
    Xp[..., pad_h:pad_h + h, pad_w:pad_w + w] = X
    windows = Xp.unfold(-2, p_h, s_h).unfold(-2, p_w, s_w)
    return getattr(windows, "amax" if mode == "max" else "mean")(dim=(-2, -1))
