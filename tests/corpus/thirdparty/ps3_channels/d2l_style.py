"""Third-party style (Dive into Deep Learning): the channel sum written as an explicit loop that
starts from the first channel, stack over a generator of output channels, the 1x1 convolution
with view and the @ operator."""
import torch


def corr2d(X, K):  #@save
    """Compute 2D cross-correlation."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def corr2d_multi_in(X, K):
    # Iterate through the 0th dimension (channel) of K first, then add them up
    out = corr2d(X[0], K[0])
    for c in range(1, X.shape[0]):
        out = out + corr2d(X[c], K[c])
    return out


def corr2d_multi_in_out(X, K):
    # Iterate through the 0th dimension of K, and each time, perform
    # cross-correlation operations with input X. All of the results are
    # stacked together
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Y = K.view(c_o, c_i) @ X.contiguous().view(c_i, h * w)
    return Y.view(c_o, h, w)
