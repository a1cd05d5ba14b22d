# Entrega de ejemplo con errores típicos: un modo desconocido devuelve ceros (el error del curso)
# y el stride por defecto es 1 en vez del tamaño de la ventana.
import torch


def pool2d(X, pool_size, mode='max'):
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
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    (p_h, p_w), (pad_h, pad_w) = pair(pool_size), pair(padding)
    s_h, s_w = pair(stride) if stride is not None else (1, 1)  # error: debería ser pool_size
    fill = float('-inf') if mode == 'max' else 0.0
    shape = X.shape[:-2] + (X.shape[-2] + 2 * pad_h, X.shape[-1] + 2 * pad_w)
    Xp = torch.full(shape, fill, dtype=X.dtype)
    Xp[..., pad_h:pad_h + X.shape[-2], pad_w:pad_w + X.shape[-1]] = X
    h = (Xp.shape[-2] - p_h) // s_h + 1
    w = (Xp.shape[-1] - p_w) // s_w + 1
    Y = torch.zeros(X.shape[:-2] + (h, w), dtype=X.dtype)
    for i in range(h):
        for j in range(w):
            win = Xp[..., i * s_h:i * s_h + p_h, j * s_w:j * s_w + p_w]
            Y[..., i, j] = win.amax(dim=(-2, -1)) if mode == 'max' else win.mean(dim=(-2, -1))
    return Y
