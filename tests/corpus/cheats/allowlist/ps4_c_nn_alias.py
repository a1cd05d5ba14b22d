"""Cheat (allow-list corpus): pool2d_pad_stride calls the private torch._C._nn.max_pool2d_with_indices / avg_pool2d through a module-level alias.

assignment: ps4_pooling
target: pool2d_pad_stride
expect: forbidden
construct: torch._C._nn
loadtime: yes
zero: pool2d
"""
import torch


def pool2d(X, pool_size, mode='max'):
    """Pooling máximo o promedio de X (h, w) con ventana pool_size, paso 1 y sin relleno."""
    if mode not in ('max', 'avg'):
        raise ValueError(f"mode debe ser 'max' o 'avg', no {mode!r}")
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i:i + p_h, j:j + p_w]
            Y[i, j] = window.max() if mode == 'max' else window.mean()
    return Y


_nn = torch._C._nn


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    """Pooling de X (..., h, w) con relleno por lado y paso (por defecto, el tamaño de la ventana)."""
    if mode not in ('max', 'avg'):
        raise ValueError(f"mode debe ser 'max' o 'avg', no {mode!r}")
    lead = tuple(X.shape[:-2])
    x = X.reshape((-1, 1) + tuple(X.shape[-2:]))
    k = (pool_size, pool_size) if isinstance(pool_size, int) else tuple(pool_size)
    s = k if stride is None else ((stride, stride) if isinstance(stride, int) else tuple(stride))
    p = (padding, padding) if isinstance(padding, int) else tuple(padding)
    if mode == 'max':
        y = _nn.max_pool2d_with_indices(x, k, s, p)[0]
    else:
        y = _nn.avg_pool2d(x, k, s, p)
    return y.reshape(lead + tuple(y.shape[-2:]))
