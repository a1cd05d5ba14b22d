"""Honest ps3_channels: Tensor.unfold on both spatial axes and torch.tensordot over (channel, kh, kw) for the multi-channel correlations; 1x1 with tensordot over the channel axis."""
import torch


def _patches(X, kh, kw):
    return X.unfold(1, kh, 1).unfold(2, kw, 1)      # (c_i, h', w', kh, kw)


def corr2d_multi_in(X, K):
    dt = torch.promote_types(X.dtype, K.dtype)
    P = _patches(X.to(dt), K.shape[1], K.shape[2])
    return torch.tensordot(P, K.to(dt), dims=([0, 3, 4], [0, 1, 2]))


def corr2d_multi_in_out(X, K):
    dt = torch.promote_types(X.dtype, K.dtype)
    P = _patches(X.to(dt), K.shape[2], K.shape[3])
    out = torch.tensordot(P, K.to(dt), dims=([0, 3, 4], [1, 2, 3]))     # (h', w', c_o)
    return out.permute(2, 0, 1)


def corr2d_multi_in_out_1x1(X, K):
    dt = torch.promote_types(X.dtype, K.dtype)
    W = K.to(dt).flatten(start_dim=1)                # (c_o, c_i)
    return torch.tensordot(W, X.to(dt), dims=1)
