"""Third-party style (the course notebook's): pool2d with loops and an if/elif on the mode (plus
the ValueError the contract asks for), pool2d_pad_stride padding with torch.nn.functional.pad
(-inf for the maximum) and looping over the windows of every leading slice at once."""
import torch
import torch.nn.functional as F


def pool2d(X, pool_size, mode='max'):
    if mode not in ('max', 'avg'):
        raise ValueError("mode tiene que ser 'max' o 'avg'")
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y


def pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None):
    if mode not in ('max', 'avg'):
        raise ValueError("mode tiene que ser 'max' o 'avg'")
    if isinstance(pool_size, int):
        pool_size = (pool_size, pool_size)
    if stride is None:
        stride = pool_size
    if isinstance(stride, int):
        stride = (stride, stride)
    if isinstance(padding, int):
        padding = (padding, padding)
    p_h, p_w = pool_size
    s_h, s_w = stride
    relleno = float('-inf') if mode == 'max' else 0.0
    X = F.pad(X, (padding[1], padding[1], padding[0], padding[0]), value=relleno)
    alto = (X.shape[-2] - p_h) // s_h + 1
    ancho = (X.shape[-1] - p_w) // s_w + 1
    Y = torch.zeros(X.shape[:-2] + (alto, ancho))
    for i in range(alto):
        for j in range(ancho):
            ventana = X[..., i * s_h: i * s_h + p_h, j * s_w: j * s_w + p_w]
            ventana = ventana.reshape(ventana.shape[:-2] + (-1,))
            if mode == 'max':
                Y[..., i, j] = ventana.max(dim=-1).values
            else:
                Y[..., i, j] = ventana.mean(dim=-1)
    return Y
