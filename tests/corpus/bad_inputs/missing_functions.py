import torch

def conv2d_strict(X, K):
    return corr2d(X, K.flip(0).flip(1))
