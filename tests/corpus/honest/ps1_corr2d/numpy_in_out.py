"""Honest ps1_corr2d: numpy in/out (tensor.numpy(), shifted sums in numpy, torch.from_numpy) and learn_kernel with a start kernel from np.random.randn and the gradient written out by hand."""
import numpy as np
import torch


def _to_numpy(T):
    # los tensores que llegan pueden pedir gradiente: detach antes de pasar a numpy
    return T.detach().cpu().numpy()


def _corr_np(x, k):
    """Cross-correlation of two numpy arrays: one shifted copy of x per kernel entry."""
    kh, kw = k.shape
    oh, ow = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    y = np.zeros((oh, ow), dtype=np.result_type(x.dtype, k.dtype))
    for a in range(kh):
        for b in range(kw):
            y += k[a, b] * x[a:a + oh, b:b + ow]
    return y


def corr2d(X, K):
    return torch.from_numpy(_corr_np(_to_numpy(X), _to_numpy(K)))


def conv2d_strict(X, K):
    k = _to_numpy(K)[::-1, ::-1].copy()   # volteo en ambos ejes
    return torch.tensor(_corr_np(_to_numpy(X), k))


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    x = _to_numpy(X).astype(np.float64)
    y = _to_numpy(Y).astype(np.float64)
    w = np.random.randn(*kernel_size)          # kernel inicial aleatorio
    for _ in range(num_iters):
        err = _corr_np(x, w) - y                # loss = sum(err ** 2)
        grad = 2.0 * _corr_np(x, err)           # d loss / d w[a, b] = 2 * sum(err * x[a:, b:])
        w = w - lr * grad
    return torch.from_numpy(w)
