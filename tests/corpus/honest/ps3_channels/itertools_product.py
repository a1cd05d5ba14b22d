"""Honest ps3_channels: itertools.product over the kernel offsets, each adding a channel-weighted shifted slice of X; 1x1 with a single torch.einsum."""
import itertools

import torch


def corr2d_multi_in_out(X, K):
    c_o, c_i, kh, kw = K.shape
    oh, ow = X.shape[1] - kh + 1, X.shape[2] - kw + 1
    dt = torch.promote_types(X.dtype, K.dtype)
    Y = torch.zeros((c_o, oh, ow), dtype=dt)
    Xd, Kd = X.to(dt), K.to(dt)
    for a, b in itertools.product(range(kh), range(kw)):
        # (c_o, c_i) weights times the (c_i, h', w') shifted slice, summed over c_i
        Y += torch.einsum("oc,chw->ohw", Kd[:, :, a, b], Xd[:, a:a + oh, b:b + ow])
    return Y


def corr2d_multi_in(X, K):
    return corr2d_multi_in_out(X, K[None])[0]


def corr2d_multi_in_out_1x1(X, K):
    return torch.einsum("oi,ihw->ohw", K.flatten(1).to(torch.promote_types(X.dtype, K.dtype)),
                        X.to(torch.promote_types(X.dtype, K.dtype)))
