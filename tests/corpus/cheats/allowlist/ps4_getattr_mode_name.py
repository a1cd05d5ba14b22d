"""Cheat (allow-list corpus): pool2d picks F.max_pool2d / F.avg_pool2d by getattr with a name built from mode.

assignment: ps4_pooling
target: pool2d
expect: unverifiable
construct: getattr
loadtime: no
"""
import torch
import torch.nn.functional as F


def pool2d(X, pool_size, mode='max'):
    """Pooling máximo o promedio de X (h, w) con ventana pool_size, paso 1 y sin relleno."""
    if mode not in ('max', 'avg'):
        raise ValueError(f"mode debe ser 'max' o 'avg', no {mode!r}")
    pool = getattr(F, mode + "_pool2d")
    return pool(X[None, None], pool_size, stride=1)[0, 0]


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    """Pooling de X (..., h, w) con relleno por lado y paso (por defecto, el tamaño de la ventana)."""
    if mode not in ('max', 'avg'):
        raise ValueError(f"mode debe ser 'max' o 'avg', no {mode!r}")
    p_h, p_w = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    if stride is None:
        stride = (p_h, p_w)
    s_h, s_w = (stride, stride) if isinstance(stride, int) else stride
    pad_h, pad_w = (padding, padding) if isinstance(padding, int) else padding
    fill = float('-inf') if mode == 'max' else 0.0
    h, w = X.shape[-2:]
    padded = torch.full(X.shape[:-2] + (h + 2 * pad_h, w + 2 * pad_w), fill, dtype=X.dtype)
    padded[..., pad_h:pad_h + h, pad_w:pad_w + w] = X
    out_h = (h + 2 * pad_h - p_h) // s_h + 1
    out_w = (w + 2 * pad_w - p_w) // s_w + 1
    Y = torch.zeros(X.shape[:-2] + (out_h, out_w), dtype=X.dtype)
    for i in range(out_h):
        for j in range(out_w):
            window = padded[..., i * s_h:i * s_h + p_h, j * s_w:j * s_w + p_w]
            if mode == 'max':
                Y[..., i, j] = window.amax(dim=(-2, -1))
            else:
                Y[..., i, j] = window.mean(dim=(-2, -1))
    return Y
