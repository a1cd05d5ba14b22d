"""Memory bombs: allocate far more memory than the machine has, as a tensor or as a list."""
import torch


def corr2d(X, K):
    return torch.ones(200_000, 200_000)  # 160 GB


def list_bomb():
    chunks = []
    while True:
        chunks.append(bytearray(100 << 20))


def echo(x):
    return x
