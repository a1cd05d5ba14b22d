"""Cheat (allow-list corpus): no built-in: honest loops reached through 40 module aliases, each assigned twice from the previous one (x = prev.nn; x = prev), so a naive resolver enumerates 2^40 alias paths.

assignment: ps1_corr2d
target: corr2d
expect: unverifiable
construct: _al
loadtime: yes
"""
import torch
from torch import nn
import numpy as np


_al = np
_al = torch
_al02 = _al.nn
_al02 = _al
_al03 = _al02.nn
_al03 = _al02
_al04 = _al03.nn
_al04 = _al03
_al05 = _al04.nn
_al05 = _al04
_al06 = _al05.nn
_al06 = _al05
_al07 = _al06.nn
_al07 = _al06
_al08 = _al07.nn
_al08 = _al07
_al09 = _al08.nn
_al09 = _al08
_al10 = _al09.nn
_al10 = _al09
_al11 = _al10.nn
_al11 = _al10
_al12 = _al11.nn
_al12 = _al11
_al13 = _al12.nn
_al13 = _al12
_al14 = _al13.nn
_al14 = _al13
_al15 = _al14.nn
_al15 = _al14
_al16 = _al15.nn
_al16 = _al15
_al17 = _al16.nn
_al17 = _al16
_al18 = _al17.nn
_al18 = _al17
_al19 = _al18.nn
_al19 = _al18
_al20 = _al19.nn
_al20 = _al19
_al21 = _al20.nn
_al21 = _al20
_al22 = _al21.nn
_al22 = _al21
_al23 = _al22.nn
_al23 = _al22
_al24 = _al23.nn
_al24 = _al23
_al25 = _al24.nn
_al25 = _al24
_al26 = _al25.nn
_al26 = _al25
_al27 = _al26.nn
_al27 = _al26
_al28 = _al27.nn
_al28 = _al27
_al29 = _al28.nn
_al29 = _al28
_al30 = _al29.nn
_al30 = _al29
_al31 = _al30.nn
_al31 = _al30
_al32 = _al31.nn
_al32 = _al31
_al33 = _al32.nn
_al33 = _al32
_al34 = _al33.nn
_al34 = _al33
_al35 = _al34.nn
_al35 = _al34
_al36 = _al35.nn
_al36 = _al35
_al37 = _al36.nn
_al37 = _al36
_al38 = _al37.nn
_al38 = _al37
_al39 = _al38.nn
_al39 = _al38
_al40 = _al39.nn
_al40 = _al39


def corr2d(X, K):
    """Correlación cruzada 2-D de X (h, w) con el kernel K (k_h, k_w)."""
    h, w = K.shape
    Y = _al40.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=_al40.promote_types(X.dtype, K.dtype))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def conv2d_strict(X, K):
    """Convolución estricta: el kernel se voltea en ambos ejes y luego se correlaciona."""
    return corr2d(X, torch.flip(K, dims=(0, 1)))


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10):
    """Aprende un kernel de tamaño kernel_size que lleve X a Y con descenso de gradiente."""
    conv = nn.Conv2d(1, 1, kernel_size=kernel_size, bias=False)
    X = X.reshape((1, 1) + tuple(X.shape)).to(conv.weight.dtype)
    Y = Y.reshape((1, 1) + tuple(Y.shape)).to(conv.weight.dtype)
    for _ in range(num_iters):
        Y_hat = conv(X)
        loss = ((Y_hat - Y) ** 2).sum()
        conv.zero_grad()
        loss.backward()
        with torch.no_grad():
            conv.weight -= lr * conv.weight.grad
    return conv.weight.detach().reshape(tuple(conv.weight.shape[2:]))
