"""Honest ps4_pooling: a dict of reducers {"max": torch.amax, "avg": torch.mean} (KeyError turned into a Spanish ValueError) over torch.as_strided windows."""
import torch

REDUCERS = {"max": torch.amax, "avg": torch.mean}
PAD_VALUE = {"max": float("-inf"), "avg": 0.0}


def _reducer(mode):
    try:
        return REDUCERS[mode]
    except (KeyError, TypeError):
        raise ValueError(f"modo {mode!r} no válido: los modos son {sorted(REDUCERS)}") from None


def _windows(X, ph, pw, sh, sw):
    """View (..., h', w', ph, pw) of a contiguous X."""
    X = X.contiguous()
    h, w = X.shape[-2:]
    oh, ow = (h - ph) // sh + 1, (w - pw) // sw + 1
    *lead_strides, rs, cs = X.stride()
    return torch.as_strided(X, tuple(X.shape[:-2]) + (oh, ow, ph, pw),
                            tuple(lead_strides) + (rs * sh, cs * sw, rs, cs))


def pool2d(X, pool_size, mode='max'):
    reduce = _reducer(mode)
    return reduce(_windows(X, pool_size[0], pool_size[1], 1, 1), dim=(-2, -1))


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    reduce = _reducer(mode)
    ph, pw = (pool_size,) * 2 if isinstance(pool_size, int) else tuple(pool_size)
    sh, sw = (ph, pw) if stride is None else ((stride,) * 2 if isinstance(stride, int) else tuple(stride))
    pad_h, pad_w = (padding,) * 2 if isinstance(padding, int) else tuple(padding)
    h, w = X.shape[-2:]
    Xp = X.new_full(tuple(X.shape[:-2]) + (h + 2 * pad_h, w + 2 * pad_w), PAD_VALUE[mode])
    Xp[..., pad_h:pad_h + h, pad_w:pad_w + w] = X
    return reduce(_windows(Xp, ph, pw, sh, sw), dim=(-2, -1))
