"""Honest ps3_channels: a class of @staticmethod/@classmethod correlations that the graded functions call, and an `if __name__ == "__main__":` block with DEBUG prints and F.conv2d checks."""
import torch

DEBUG = False


class Channels:
    @staticmethod
    def single(X, K):
        kh, kw = K.shape
        oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
        return sum(K[a, b] * X[a:a + oh, b:b + ow] for a in range(kh) for b in range(kw))

    @classmethod
    def multi_in(cls, X, K):
        total = None
        for x, k in zip(X, K):
            part = cls.single(x, k)
            total = part if total is None else total + part
        return total

    @classmethod
    def multi_in_out(cls, X, K):
        return torch.stack([cls.multi_in(X, k) for k in K])


def corr2d_multi_in(X, K):
    return Channels.multi_in(X, K)


def corr2d_multi_in_out(X, K):
    out = Channels.multi_in_out(X, K)
    if DEBUG:
        print("salida", tuple(out.shape))
    return out


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    dt = torch.promote_types(X.dtype, K.dtype)
    return (K.to(dt).reshape(c_o, c_i) @ X.to(dt).reshape(c_i, h * w)).reshape(c_o, h, w)


if __name__ == "__main__":
    import torch.nn.functional as F

    DEBUG = True
    X = torch.stack((torch.arange(9.0).reshape(3, 3), torch.arange(1.0, 10.0).reshape(3, 3)))
    K = torch.stack((torch.tensor([[0.0, 1.0], [2.0, 3.0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
    print(corr2d_multi_in(X, K))
    K3 = torch.stack((K, K + 1, K + 2))
    print(corr2d_multi_in_out(X, K3))
    print(torch.allclose(corr2d_multi_in_out(X, K3), F.conv2d(X[None], K3)[0]))
    X = torch.normal(0, 1, (3, 3, 3))
    K = torch.normal(0, 1, (2, 3, 1, 1))
    print(float((corr2d_multi_in_out_1x1(X, K) - corr2d_multi_in_out(X, K)).abs().sum()) < 1e-6)
