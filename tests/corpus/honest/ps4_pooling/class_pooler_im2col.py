"""Honest ps4_pooling: a `class Pooler` (mode checked in __init__) with its own `im2col` method that gathers windows as columns; max/mean over the column axis."""
import torch


class Pooler:
    def __init__(self, pool_size, mode="max", padding=0, stride=None):
        if mode not in ("max", "avg"):
            raise ValueError(f"Pooler: modo {mode!r} desconocido")
        self.mode = mode
        self.ph, self.pw = self._pair(pool_size)
        self.sh, self.sw = (self.ph, self.pw) if stride is None else self._pair(stride)
        self.pad_h, self.pad_w = self._pair(padding)

    @staticmethod
    def _pair(v):
        return (v, v) if isinstance(v, int) else (v[0], v[1])

    def pad(self, X):
        h, w = X.shape[-2:]
        fill = float("-inf") if self.mode == "max" else 0.0
        out = torch.full(X.shape[:-2] + (h + 2 * self.pad_h, w + 2 * self.pad_w), fill, dtype=X.dtype)
        out[..., self.pad_h:self.pad_h + h, self.pad_w:self.pad_w + w] = X
        return out

    def im2col(self, X):
        """(..., h, w) -> (..., ph*pw, h'*w'): one column per window."""
        oh = (X.shape[-2] - self.ph) // self.sh + 1
        ow = (X.shape[-1] - self.pw) // self.sw + 1
        cols = [X[..., i * self.sh:i * self.sh + self.ph, j * self.sw:j * self.sw + self.pw]
                .reshape(X.shape[:-2] + (-1,))
                for i in range(oh) for j in range(ow)]
        return torch.stack(cols, dim=-1), oh, ow

    def __call__(self, X):
        cols, oh, ow = self.im2col(self.pad(X))
        red = cols.max(dim=-2).values if self.mode == "max" else cols.mean(dim=-2)
        return red.reshape(X.shape[:-2] + (oh, ow))


def pool2d(X, pool_size, mode='max'):
    return Pooler(pool_size, mode, padding=0, stride=1)(X)


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    return Pooler(pool_size, mode, padding, stride)(X)
