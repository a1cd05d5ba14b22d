"""Third-party style (Dive into Deep Learning): d2l's pool2d loop, and pool2d_pad_stride built
from Tensor.unfold windows (amax / mean over the last two axes) on a tensor padded by
concatenation."""
import torch


def pool2d(X, pool_size, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError(f'unknown pooling mode: {mode}')
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _pad(X, p_h, p_w, value):
    lead, (h, w) = X.shape[:-2], X.shape[-2:]
    rows = torch.full(lead + (p_h, w), value, dtype=X.dtype)
    X = torch.cat([rows, X, rows], dim=-2)
    cols = torch.full(lead + (h + 2 * p_h, p_w), value, dtype=X.dtype)
    return torch.cat([cols, X, cols], dim=-1)


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    if mode not in ('max', 'avg'):
        raise ValueError(f'unknown pooling mode: {mode}')
    (p_h, p_w), (pad_h, pad_w) = _pair(pool_size), _pair(padding)
    s_h, s_w = _pair(stride) if stride is not None else (p_h, p_w)
    X = _pad(X, pad_h, pad_w, float('-inf') if mode == 'max' else 0.0)
    windows = X.unfold(-2, p_h, s_h).unfold(-2, p_w, s_w)
    return windows.amax(dim=(-2, -1)) if mode == 'max' else windows.mean(dim=(-2, -1))
