"""Honest ps4_pooling: the student's own loop helpers named max_pool2d and avg_pool2d (not PyTorch's), with module-level `import torch.nn.functional as F` used only for F.pad."""
import torch
import torch.nn.functional as F


def max_pool2d(X, p_h, p_w, s_h=1, s_w=1):
    """Mi pooling máximo con bucles sobre las dos últimas dimensiones de X."""
    out_h = (X.shape[-2] - p_h) // s_h + 1
    out_w = (X.shape[-1] - p_w) // s_w + 1
    Y = torch.zeros(X.shape[:-2] + (out_h, out_w), dtype=X.dtype)
    for i in range(out_h):
        for j in range(out_w):
            Y[..., i, j] = X[..., i * s_h:i * s_h + p_h, j * s_w:j * s_w + p_w].amax(dim=(-2, -1))
    return Y


def avg_pool2d(X, p_h, p_w, s_h=1, s_w=1):
    """Mi pooling promedio con bucles."""
    out_h = (X.shape[-2] - p_h) // s_h + 1
    out_w = (X.shape[-1] - p_w) // s_w + 1
    Y = torch.zeros(X.shape[:-2] + (out_h, out_w), dtype=X.dtype)
    for i in range(out_h):
        for j in range(out_w):
            Y[..., i, j] = X[..., i * s_h:i * s_h + p_h, j * s_w:j * s_w + p_w].mean(dim=(-2, -1))
    return Y


def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    if mode == 'max':
        return max_pool2d(X, p_h, p_w)
    elif mode == 'avg':
        return avg_pool2d(X, p_h, p_w)
    raise ValueError("mode tiene que ser 'max' o 'avg'")


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    if mode not in ('max', 'avg'):
        raise ValueError("mode tiene que ser 'max' o 'avg'")
    p_h, p_w = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    if stride is None:
        stride = (p_h, p_w)
    s_h, s_w = (stride, stride) if isinstance(stride, int) else stride
    pad_h, pad_w = (padding, padding) if isinstance(padding, int) else padding
    if mode == 'max':
        Xp = F.pad(X, (pad_w, pad_w, pad_h, pad_h), value=float('-inf'))
        return max_pool2d(Xp, p_h, p_w, s_h, s_w)
    Xp = F.pad(X, (pad_w, pad_w, pad_h, pad_h))
    return avg_pool2d(Xp, p_h, p_w, s_h, s_w)
