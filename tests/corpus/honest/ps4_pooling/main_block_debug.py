"""Honest ps4_pooling: sum() over a generator of window slices for the average, a running torch.maximum for the max, a `_compare_with_torch()` debug helper with a local F import, and a `__main__` block."""
import torch

DEBUG = False


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _check_mode(mode):
    if mode != 'max' and mode != 'avg':
        raise ValueError("solo hay dos modos: 'max' y 'avg'")


def _pool_padded(Xp, ph, pw, sh, sw, mode):
    oh = (Xp.shape[-2] - ph) // sh + 1
    ow = (Xp.shape[-1] - pw) // sw + 1
    # one (..., oh, ow) grid per cell of the window
    grids = [Xp[..., a::sh, b::sw][..., :oh, :ow] for a in range(ph) for b in range(pw)]
    if mode == 'avg':
        return sum(g for g in grids) / len(grids)
    best = grids[0]
    for g in grids[1:]:
        best = torch.maximum(best, g)
    return best


def pool2d(X, pool_size, mode='max'):
    _check_mode(mode)
    return _pool_padded(X, pool_size[0], pool_size[1], 1, 1, mode)


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    _check_mode(mode)
    ph, pw = _pair(pool_size)
    sh, sw = _pair(stride) if stride is not None else (ph, pw)
    pad_h, pad_w = _pair(padding)
    h, w = X.shape[-2:]
    fill = float('-inf') if mode == 'max' else 0.0
    Xp = torch.full(X.shape[:-2] + (h + 2 * pad_h, w + 2 * pad_w), fill, dtype=X.dtype)
    Xp[..., pad_h:pad_h + h, pad_w:pad_w + w] = X
    if DEBUG:
        print("padded", tuple(Xp.shape))
    return _pool_padded(Xp, ph, pw, sh, sw, mode)


def _compare_with_torch():
    import torch.nn.functional as F
    X = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
    print(pool2d_pad_stride(X, 3), F.max_pool2d(X, 3))
    print(pool2d_pad_stride(X, 3, padding=1, stride=2), F.max_pool2d(X, 3, padding=1, stride=2))
    print(pool2d_pad_stride(X, (2, 3), 'avg', (0, 1), (2, 3)),
          F.avg_pool2d(X, (2, 3), stride=(2, 3), padding=(0, 1)))


if __name__ == "__main__":
    import torch.nn.functional as F

    DEBUG = True
    X = torch.arange(9.0).reshape(3, 3)
    print(pool2d(X, (2, 2)), pool2d(X, (2, 2), 'avg'))
    print(F.max_pool2d(X[None, None], 2, stride=1))
    _compare_with_torch()
