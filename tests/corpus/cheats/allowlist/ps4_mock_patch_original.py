"""Cheat (allow-list corpus): pool2d_pad_stride resolves "torch.nn.functional.<mode>_pool2d" with unittest.mock.patch(...).get_original() (never started).

assignment: ps4_pooling
target: pool2d_pad_stride
expect: unverifiable
construct: mock.patch
loadtime: no
"""
import torch
from unittest import mock


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


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    """Pooling de X (..., h, w) con relleno por lado y paso (por defecto, el tamaño de la ventana)."""
    if mode not in ('max', 'avg'):
        raise ValueError(f"mode debe ser 'max' o 'avg', no {mode!r}")
    lead = tuple(X.shape[:-2])
    x = X.reshape((-1, 1) + tuple(X.shape[-2:]))
    pool, _ = mock.patch("torch.nn.functional." + mode + "_pool2d").get_original()
    y = pool(x, pool_size, stride=stride, padding=padding)
    return y.reshape(lead + tuple(y.shape[-2:]))
