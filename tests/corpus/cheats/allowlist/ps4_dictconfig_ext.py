"""Cheat (allow-list corpus): pool2d_pad_stride calls pooling functions resolved at load from "ext://torch.nn.functional..." strings by logging.config.DictConfigurator.

assignment: ps4_pooling
target: pool2d_pad_stride
expect: unverifiable
construct: DictConfigurator
loadtime: yes
zero: pool2d
"""
import torch
import logging.config


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


_CFG = logging.config.DictConfigurator({"max": "ext://torch.nn.functional.max_pool2d",
                                        "avg": "ext://torch.nn.functional.avg_pool2d"}).config
_POOLS = {"max": _CFG["max"], "avg": _CFG["avg"]}


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    """Pooling de X (..., h, w) con relleno por lado y paso (por defecto, el tamaño de la ventana)."""
    if mode not in ('max', 'avg'):
        raise ValueError(f"mode debe ser 'max' o 'avg', no {mode!r}")
    lead = tuple(X.shape[:-2])
    x = X.reshape((-1, 1) + tuple(X.shape[-2:]))
    y = _POOLS[mode](x, pool_size, stride=stride, padding=padding)
    return y.reshape(lead + tuple(y.shape[-2:]))
