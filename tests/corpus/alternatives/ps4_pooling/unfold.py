"""Alternative ps4_pooling: windows with Tensor.unfold, padding with F.pad (-inf for max)."""
import torch
import torch.nn.functional as F


def pool2d(X, pool_size, mode='max'):
    if mode == 'max':
        reduce = lambda w: w.amax(dim=(-2, -1))
    elif mode == 'avg':
        reduce = lambda w: w.mean(dim=(-2, -1))
    else:
        raise ValueError("modo desconocido: " + str(mode))
    return reduce(X.unfold(0, pool_size[0], 1).unfold(1, pool_size[1], 1))


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    if mode not in ('max', 'avg'):
        raise ValueError(mode)
    kh, kw = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    sh, sw = (kh, kw) if stride is None else ((stride, stride) if isinstance(stride, int) else stride)
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    fill = float('-inf') if mode == 'max' else 0.0
    Xp = F.pad(X, (pw, pw, ph, ph), value=fill)
    win = Xp.unfold(-2, kh, sh).unfold(-2, kw, sw)
    return win.amax(dim=(-2, -1)) if mode == 'max' else win.mean(dim=(-2, -1))
