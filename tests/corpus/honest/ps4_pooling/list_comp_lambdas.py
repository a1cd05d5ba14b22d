"""Honest ps4_pooling: lambdas for the reductions and list comprehensions + torch.stack over the window positions."""
import torch

_REDUCE = {
    "max": lambda w: w.amax(dim=(-2, -1)),
    "avg": lambda w: w.mean(dim=(-2, -1)),
}
_pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731


def _get(mode):
    if mode not in _REDUCE:
        raise ValueError("modo no soportado: " + str(mode))
    return _REDUCE[mode]


def pool2d(X, pool_size, mode='max'):
    f = _get(mode)
    ph, pw = pool_size
    return torch.stack([torch.stack([f(X[i:i + ph, j:j + pw]) for j in range(X.shape[1] - pw + 1)])
                        for i in range(X.shape[0] - ph + 1)])


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    f = _get(mode)
    ph, pw = _pair(pool_size)
    sh, sw = _pair(pool_size if stride is None else stride)
    pad_h, pad_w = _pair(padding)
    fill = float("-inf") if mode == "max" else 0.0
    lead = X.shape[:-2]
    col_pad = torch.full(lead + (X.shape[-2], pad_w), fill, dtype=X.dtype)
    Xp = torch.cat([col_pad, X, col_pad], dim=-1)
    row_pad = torch.full(lead + (pad_h, Xp.shape[-1]), fill, dtype=X.dtype)
    Xp = torch.cat([row_pad, Xp, row_pad], dim=-2)
    rows = range(0, Xp.shape[-2] - ph + 1, sh)
    cols = range(0, Xp.shape[-1] - pw + 1, sw)
    return torch.stack([torch.stack([f(Xp[..., i:i + ph, j:j + pw]) for j in cols], dim=-1)
                        for i in rows], dim=-2)
