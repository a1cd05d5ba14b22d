"""Cheat (allow-list corpus): pool2d_pad_stride builds a function from source text (compile + types.FunctionType) that calls F.max_pool2d / F.avg_pool2d.

assignment: ps4_pooling
target: pool2d_pad_stride
expect: unverifiable
construct: compile
loadtime: no
"""
import torch
import types
import torch.nn.functional as F


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
    src = ("def _pool(x, k, s, p, m):\n"
           "    return (F.max_pool2d if m == 'max' else F.avg_pool2d)(x, k, stride=s, padding=p)\n")
    fn_code = [c for c in compile(src, "<pool>", "exec").co_consts if isinstance(c, types.CodeType)][0]
    pool = types.FunctionType(fn_code, {"F": F})
    y = pool(x, pool_size, stride, padding, mode)
    return y.reshape(lead + tuple(y.shape[-2:]))
