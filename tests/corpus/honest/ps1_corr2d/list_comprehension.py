"""Honest ps1_corr2d: corr2d as nested list comprehensions joined with torch.stack, the flip by index tensors, learn_kernel with nn.Conv2d and torch.optim.SGD (plain SGD is w - lr * grad)."""
import torch
from torch import nn


def corr2d(X, K):
    h, w = K.shape
    rows = range(X.shape[0] - h + 1)
    cols = range(X.shape[1] - w + 1)
    return torch.stack([torch.stack([(X[i:i + h, j:j + w] * K).sum() for j in cols]) for i in rows])


def conv2d_strict(X, K):
    h, w = K.shape
    rev_rows = torch.arange(h - 1, -1, -1)
    rev_cols = torch.arange(w - 1, -1, -1)
    return corr2d(X, K[rev_rows][:, rev_cols])


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    net = nn.Conv2d(1, 1, kernel_size, bias=False)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    inp = X.float().unsqueeze(0).unsqueeze(0)
    target = Y.float().unsqueeze(0).unsqueeze(0)
    for _ in range(num_iters):
        opt.zero_grad()
        loss = ((net(inp) - target) ** 2).sum()
        loss.backward()
        opt.step()
    return net.weight.detach()[0, 0]
