"""Honest ps2_conv2d: torch.as_strided windows with the stride in the view, and an `if __name__ == "__main__":` block that re-imports torch.nn.functional, sets DEBUG and prints comparisons with F.conv2d."""
import torch
from torch import nn

DEBUG = False


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=torch.promote_types(X.dtype, K.dtype))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        if DEBUG:
            print("forward", tuple(x.shape), tuple(self.weight.shape))
        return corr2d(x, self.weight) + self.bias


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    (nh, nw), (kh, kw) = _pair(input_size), _pair(kernel_size)
    (ph, pw), (sh, sw) = _pair(padding), _pair(stride)
    return ((nh + 2 * ph - kh) // sh + 1, (nw + 2 * pw - kw) // sw + 1)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    ph, pw = _pair(padding)
    sh, sw = _pair(stride)
    kh, kw = K.shape
    dt = torch.promote_types(X.dtype, K.dtype)
    Xp = torch.zeros((X.shape[0] + 2 * ph, X.shape[1] + 2 * pw), dtype=dt)
    Xp[ph:ph + X.shape[0], pw:pw + X.shape[1]] = X
    oh, ow = conv_output_shape(tuple(X.shape), (kh, kw), (ph, pw), (sh, sw))
    r, c = Xp.stride()
    windows = torch.as_strided(Xp, (oh, ow, kh, kw), (r * sh, c * sw, r, c))
    return (windows * K.to(dt)).sum(dim=(2, 3))


if __name__ == "__main__":
    import torch.nn.functional as F

    DEBUG = True
    X = torch.randn(8, 8)
    for k, p, s in [(3, 1, 1), ((7, 5), (3, 2), 1), (3, 1, 2), ((3, 5), (0, 1), (3, 4))]:
        K = torch.randn(_pair(k))
        mine = corr2d_pad_stride(X, K, p, s)
        ref = F.conv2d(X[None, None], K[None, None], padding=p, stride=s)[0, 0]
        print(k, p, s, tuple(mine.shape), conv_output_shape(8, k, p, s),
              torch.allclose(mine, ref, atol=1e-5))
    layer = Conv2D((1, 2))
    print(layer(torch.ones(6, 8)).shape, [n for n, _ in layer.named_parameters()])
